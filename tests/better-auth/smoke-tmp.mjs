import * as h from "/work/main/tests/better-auth/lib/harness.mjs";
const db = await h.createTestDatabase("smoke");
try {
  const secret = h.randomSecret();
  console.log(await h.migrateBetterAuth("smoke-mig", db, secret, {alg: "ES512"}));
  const ba = await h.startBetterAuth("smoke-ba", db, secret, {alg: "ES512", rotationInterval: 5});
  const u = await h.signUp(ba.baseURL, {email:"a@example.com", password:"correct horse battery", name:"A"});
  console.log(u);
  const t = await h.getJwt(ba.baseURL, u.cookie);
  console.log(h.decodeJwt(t));
  console.log(JSON.stringify(await h.getJwks(ba.baseURL)));
  console.log((await db.query('select id, alg, crv, "createdAt", "expiresAt" from jwks')).rows);
  const api = await h.startApi("smoke-api", {DATABASE_URL: db.url, BETTER_AUTH_URL: ba.baseURL});
  console.log(api.url, api.readyAt - api.spawnedAt);
  console.log(await h.call(api.url, "POST", `/api/${u.userId}/tasks`, {token: t, body: {title: "x"}}).then(r => [r.status, r.json]));
  await api.stop(); await ba.stop();
} finally { await db.drop(); }
