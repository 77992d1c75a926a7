"""The compose stack as a user starts it: `cp .env.example .env && docker compose up`,
and the Neon variant switched on by the one line .env.example documents.

No container runs here, so each test resolves the configuration with Docker Compose v2's
own `config` command (the binary in $COMPOSE_BIN) in a scratch copy of the project with
.env.example as .env, and checks what the API and the frontend would be given.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from api_settings import ROOT, is_known

COMPOSE_FILES = ["docker-compose.yml", "docker-compose.neon.yml"]
NEON_SWITCH = "# COMPOSE_FILE=docker-compose.yml:docker-compose.neon.yml"
BROWSER_FRONTEND = "http://localhost:3000"
BROWSER_API = "http://localhost:8000"


def example_env():
    return (ROOT / ".env.example").read_text()


def with_neon(env_text):
    """The documented one-line change: uncomment the COMPOSE_FILE line."""
    lines = env_text.splitlines()
    if lines.count(NEON_SWITCH) != 1:
        raise AssertionError(f".env.example must hold the line {NEON_SWITCH!r} once")
    return "\n".join(line.removeprefix("# ") if line == NEON_SWITCH else line for line in lines) + "\n"


def compose_config(env_text, shell=None):
    """`docker compose config` in a copy of the project whose .env is env_text, with an
    otherwise empty environment plus `shell` (variables exported in the user's shell)."""
    with tempfile.TemporaryDirectory() as project:
        for name in COMPOSE_FILES:
            shutil.copy(ROOT / name, Path(project) / name)
        (Path(project) / ".env").write_text(env_text)
        environment = {"PATH": "/usr/bin:/bin", "HOME": project, **(shell or {})}
        result = subprocess.run(
            [os.environ["COMPOSE_BIN"], "config", "--format", "json"],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        raise ComposeError(result.stderr.strip())
    return json.loads(result.stdout)


class ComposeError(Exception):
    pass


def published_port(service, container_port):
    for port in service.get("ports", []):
        if port["target"] == container_port:
            return int(port["published"])
    raise AssertionError(f"container port {container_port} is not published")


class StackChecks:
    """What holds with either database: how the API and the frontend find each other."""

    def test_the_api_fetches_the_jwks_from_the_frontend_service(self):
        jwks = urlsplit(self.api["JWKS_URL"])
        self.assertEqual(jwks.hostname, "frontend")
        self.assertEqual(jwks.port, 3000)
        self.assertEqual(jwks.path, "/api/auth/jwks")
        self.assertIn("frontend", self.config["services"])
        # The image runs in production, which refuses plain http off loopback unless told.
        self.assertEqual(self.api["APP__AUTH__ALLOW_PLAIN_HTTP_JWKS"], "true")

    def test_issuer_and_audience_are_the_browser_facing_frontend_url(self):
        self.assertEqual(self.frontend["BETTER_AUTH_URL"], BROWSER_FRONTEND)
        self.assertEqual(self.api["BETTER_AUTH_URL"], BROWSER_FRONTEND)
        self.assertEqual(self.api["JWT_ISSUER"], BROWSER_FRONTEND)
        self.assertEqual(self.api["JWT_AUDIENCE"], BROWSER_FRONTEND)
        self.assertEqual(
            published_port(self.config["services"]["frontend"], 3000),
            urlsplit(BROWSER_FRONTEND).port,
        )

    def test_cors_allows_the_frontend_origin(self):
        origins = [origin.strip() for origin in self.api["CORS_ORIGINS"].split(",")]
        self.assertIn(BROWSER_FRONTEND, origins)

    def test_the_browser_code_calls_the_published_api(self):
        build = self.config["services"]["frontend"]["build"]
        self.assertEqual(Path(build["context"]).name, "frontend")
        self.assertEqual(build["args"]["NEXT_PUBLIC_API_URL"], BROWSER_API)
        declared = re.findall(r"^ARG (\w+)", (ROOT / "frontend/Dockerfile").read_text(), re.M)
        self.assertLessEqual(set(build["args"]), set(declared), "build args the Dockerfile lacks")
        self.assertEqual(
            published_port(self.config["services"]["api"], 8000), urlsplit(BROWSER_API).port
        )

    def test_the_frontend_has_a_usable_secret(self):
        self.assertGreaterEqual(len(self.frontend["BETTER_AUTH_SECRET"]), 32)

    def test_the_api_is_given_only_settings_it_reads(self):
        unknown = sorted(name for name in self.api if not is_known(name))
        self.assertEqual(unknown, [], "variables the API does not read")


class BundledStack(StackChecks, unittest.TestCase):
    """`cp .env.example .env && docker compose up`."""

    @classmethod
    def setUpClass(cls):
        cls.config = compose_config(example_env())
        cls.api = cls.config["services"]["api"]["environment"]
        cls.frontend = cls.config["services"]["frontend"]["environment"]

    def assert_bundled_database(self, url):
        db = self.config["services"]["db"]["environment"]
        parts = urlsplit(url)
        self.assertEqual(parts.hostname, "db", url)
        self.assertEqual(parts.port, 5432, url)
        self.assertEqual(parts.username, db["POSTGRES_USER"])
        self.assertEqual(parts.password, db["POSTGRES_PASSWORD"])
        self.assertEqual(parts.path, "/" + db["POSTGRES_DB"])
        # The postgres image serves no TLS.
        self.assertEqual(parse_qs(parts.query).get("sslmode"), ["disable"], url)

    def test_runs_the_three_services(self):
        self.assertEqual(set(self.config["services"]), {"db", "api", "frontend"})

    def test_the_api_uses_the_bundled_database_without_tls(self):
        self.assert_bundled_database(self.api["DATABASE_URL"])
        self.assertNotIn("MIGRATION_DATABASE_URL", self.api)

    def test_better_auth_shares_the_bundled_database(self):
        self.assert_bundled_database(self.frontend["DATABASE_URL"])

    def test_both_wait_for_a_healthy_database(self):
        for name in ("api", "frontend"):
            depends = self.config["services"][name]["depends_on"]
            self.assertEqual(depends["db"]["condition"], "service_healthy", name)
        self.assertIn("healthcheck", self.config["services"]["db"])

    def test_a_database_url_in_env_or_the_shell_does_not_replace_the_bundled_one(self):
        stray = "postgres://someone:secret@elsewhere.example/db?sslmode=require"
        config = compose_config(
            example_env() + f"DATABASE_URL={stray}\n", shell={"DATABASE_URL": stray}
        )
        for name in ("api", "frontend"):
            url = config["services"][name]["environment"]["DATABASE_URL"]
            self.assertEqual(urlsplit(url).hostname, "db", name)


class NeonStack(StackChecks, unittest.TestCase):
    """The same .env with the one documented line uncommented."""

    @classmethod
    def setUpClass(cls):
        cls.config = compose_config(with_neon(example_env()))
        cls.api = cls.config["services"]["api"]["environment"]
        cls.frontend = cls.config["services"]["frontend"]["environment"]

    def example_value(self, name):
        for line in example_env().splitlines():
            if line.startswith(f"{name}="):
                return line.split("=", 1)[1]
        raise AssertionError(f"{name} is not set in .env.example")

    def test_runs_without_the_bundled_database(self):
        self.assertEqual(set(self.config["services"]), {"api", "frontend"})
        for name in ("api", "frontend"):
            self.assertFalse(self.config["services"][name].get("depends_on"), name)

    def test_the_api_uses_neon_over_tls(self):
        url = self.api["DATABASE_URL"]
        self.assertEqual(url, self.example_value("NEON_DATABASE_URL"))
        parts = urlsplit(url)
        self.assertTrue(parts.hostname.endswith(".neon.tech"), url)
        self.assertEqual(parse_qs(parts.query).get("sslmode"), ["require"], url)

    def test_migrations_use_the_direct_host(self):
        url = self.api["MIGRATION_DATABASE_URL"]
        self.assertEqual(url, self.example_value("NEON_MIGRATION_DATABASE_URL"))
        self.assertNotIn("-pooler", urlsplit(url).hostname)
        self.assertEqual(parse_qs(urlsplit(url).query).get("sslmode"), ["require"], url)

    def test_better_auth_shares_the_neon_database(self):
        self.assertEqual(self.frontend["DATABASE_URL"], self.api["DATABASE_URL"])

    def test_without_a_neon_url_compose_refuses_with_its_name(self):
        env_text = "\n".join(
            line
            for line in with_neon(example_env()).splitlines()
            if not line.startswith("NEON_DATABASE_URL=")
        )
        with self.assertRaises(ComposeError) as refused:
            compose_config(env_text + "\n")
        self.assertIn("NEON_DATABASE_URL", str(refused.exception))



if __name__ == "__main__":
    unittest.main()
