"""What the Kubernetes manifests must say beyond their schema (kubernetes-validate checks
that): probes, shutdown timing, security, resources, and that the pieces refer to each
other by the right names."""

import re
import unittest

import yaml

from api_settings import ROOT, is_known

MANIFESTS = ROOT / "deploy/kubernetes"
# Measured peak resident memory of one instance under load (MiB).
MEASURED_PEAK_RSS_MIB = 17


def load(directory):
    resources = {}
    for path in sorted(directory.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            resources[(document["kind"], document["metadata"]["name"])] = document
    return resources


def mebibytes(quantity):
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()
    return int(number) * (1024 if unit == "Gi" else 1)


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.applied = load(MANIFESTS)
        cls.examples = load(MANIFESTS / "example")
        cls.deployment = cls.applied[("Deployment", "tasks-api")]
        cls.pod = cls.deployment["spec"]["template"]["spec"]
        [cls.container] = cls.pod["containers"]
        cls.env = {variable["name"]: variable for variable in cls.container["env"]}

    def env_value(self, name):
        self.assertIn(name, self.env, f"{name} is not set explicitly")
        return self.env[name]["value"]

    def port(self, name):
        [port] = [port for port in self.container["ports"] if port["name"] == name]
        return port["containerPort"]

    def test_three_replicas_rolled_without_losing_capacity(self):
        self.assertEqual(self.deployment["spec"]["replicas"], 3)
        self.assertEqual(self.deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0)

    def test_readiness_is_ready_and_liveness_is_health_on_the_api_port(self):
        for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
            check = self.container[probe]["httpGet"]
            self.assertEqual(check["path"], path, probe)
            self.assertEqual(check["port"], "http", probe)
        self.assertEqual(self.port("http"), 8000)

    def test_the_grace_period_outlasts_drain_and_shutdown(self):
        drain = int(self.env_value("APP__SERVER__DRAIN_PERIOD_SECS"))
        shutdown = int(self.env_value("APP__SERVER__SHUTDOWN_TIMEOUT_SECS"))
        self.assertGreater(drain, 0)
        readiness = self.container["readinessProbe"]
        # The drain lasts past the probes that take the pod out of rotation.
        self.assertGreaterEqual(drain, readiness["periodSeconds"] * readiness["failureThreshold"])
        self.assertGreater(self.pod["terminationGracePeriodSeconds"], drain + shutdown)

    def test_metrics_listen_on_the_named_metrics_port(self):
        self.assertEqual(self.env_value("APP__METRICS__HOST"), "0.0.0.0")
        self.assertEqual(int(self.env_value("APP__METRICS__PORT")), self.port("metrics"))
        self.assertEqual(self.port("metrics"), 9100)

    def test_runs_unprivileged_on_a_read_only_root(self):
        self.assertTrue(self.pod["securityContext"]["runAsNonRoot"])
        self.assertNotEqual(self.pod["securityContext"]["runAsUser"], 0)
        security = self.container["securityContext"]
        self.assertTrue(security["readOnlyRootFilesystem"])
        self.assertFalse(security["allowPrivilegeEscalation"])
        self.assertEqual(security["capabilities"]["drop"], ["ALL"])

    def test_resources_cover_the_measured_memory(self):
        resources = self.container["resources"]
        request = mebibytes(resources["requests"]["memory"])
        limit = mebibytes(resources["limits"]["memory"])
        self.assertGreaterEqual(request, MEASURED_PEAK_RSS_MIB)
        self.assertGreaterEqual(limit, 2 * MEASURED_PEAK_RSS_MIB)
        self.assertIn("cpu", resources["requests"])

    def test_the_api_is_given_only_settings_it_reads(self):
        unknown = sorted(name for name in self.env if not is_known(name))
        self.assertEqual(unknown, [], "variables the API does not read")

    def test_database_urls_come_from_the_example_secret(self):
        secret = self.examples[("Secret", "tasks-api")]
        for name, optional in (("DATABASE_URL", False), ("MIGRATION_DATABASE_URL", True)):
            reference = self.env[name]["valueFrom"]["secretKeyRef"]
            self.assertEqual(reference["name"], "tasks-api", name)
            self.assertEqual(reference["key"], name)
            self.assertEqual(reference.get("optional", False), optional, name)
            self.assertIn(name, secret["stringData"])

    def test_no_secret_is_applied_from_the_repository(self):
        self.assertEqual([key for key in self.applied if key[0] == "Secret"], [])
        for value in self.examples[("Secret", "tasks-api")]["stringData"].values():
            self.assertIn("USER:PASSWORD@", value)

    def test_better_auth_url_and_cors_come_from_the_config_map(self):
        config_map = self.applied[("ConfigMap", "tasks-api")]
        for name in ("BETTER_AUTH_URL", "CORS_ORIGINS"):
            reference = self.env[name]["valueFrom"]["configMapKeyRef"]
            self.assertEqual(reference["name"], "tasks-api", name)
            self.assertIn(reference["key"], config_map["data"])

    def test_service_budget_and_autoscaler_point_at_the_deployment(self):
        labels = self.deployment["spec"]["template"]["metadata"]["labels"]
        selector = self.deployment["spec"]["selector"]["matchLabels"]
        self.assertLessEqual(selector.items(), labels.items())
        service = self.applied[("Service", "tasks-api")]
        self.assertLessEqual(service["spec"]["selector"].items(), labels.items())
        self.assertEqual(
            {port["name"]: port["targetPort"] for port in service["spec"]["ports"]},
            {"http": "http", "metrics": "metrics"},
        )
        budget = self.applied[("PodDisruptionBudget", "tasks-api")]
        self.assertLessEqual(budget["spec"]["selector"]["matchLabels"].items(), labels.items())
        scaler = self.applied[("HorizontalPodAutoscaler", "tasks-api")]["spec"]
        self.assertEqual(scaler["scaleTargetRef"]["kind"], "Deployment")
        self.assertEqual(scaler["scaleTargetRef"]["name"], "tasks-api")
        self.assertEqual(scaler["minReplicas"], self.deployment["spec"]["replicas"])
        self.assertGreater(scaler["maxReplicas"], scaler["minReplicas"])


if __name__ == "__main__":
    unittest.main()
