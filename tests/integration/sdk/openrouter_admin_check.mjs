// openrouter_admin_check.mjs - @openrouter/sdk's management calls against Switchyard's admin
// API: apiKeys.list/create/get/update/delete and analytics.getUserActivity. The SDK
// validates every answer with its zod schemas: a missing or mistyped field fails the step.
// Env: SY_ADMIN_URL (".../api/v1"), SY_MGMT_KEY (a management key), SY_DATE (today, UTC).
// Prints one JSON object: for every step {ok, value} or {ok: false, error}.
import { OpenRouter } from "@openrouter/sdk";

const env = process.env;
const or = new OpenRouter({ apiKey: env.SY_MGMT_KEY, serverURL: env.SY_ADMIN_URL,
                            retryConfig: { strategy: "none" }, timeoutMs: 20000 });
const out = {};

async function step(name, fn) {
    try {
        out[name] = { ok: true, value: await fn() };
    } catch (e) {
        out[name] = { ok: false, error: String(e), name: e?.name ?? null,
                      status: e?.statusCode ?? null, body: e?.body ?? null };
    }
}

const brief = (k) => ({ hash: k.hash, name: k.name, label: k.label, limit: k.limit,
                        limitReset: k.limitReset, disabled: k.disabled,
                        workspaceId: k.workspaceId, byokUsage: k.byokUsage,
                        creatorUserId: k.creatorUserId, externalUser: k.externalUser });
let hash = null;

await step("list", async () => (await or.apiKeys.list()).data.map(brief));

await step("create", async () => {
    // no org_id: the management key's org, or for a global key the only org
    const r = await or.apiKeys.create({ requestBody: { name: "sdk-made", limit: 5,
                                                       limitReset: "monthly" } });
    hash = r.data.hash;
    return { key: r.key.slice(0, 9), data: brief(r.data) };
});

await step("get", async () => brief((await or.apiKeys.get({ hash })).data));

await step("update", async () => brief((await or.apiKeys.update({
    hash, requestBody: { name: "sdk-renamed", disabled: true } })).data));

await step("list_disabled", async () => ({
    without: (await or.apiKeys.list()).data.map((k) => k.hash),
    with: (await or.apiKeys.list({ includeDisabled: true })).data.map((k) => k.hash) }));

await step("delete", async () => (await or.apiKeys.delete({ hash })).deleted);

await step("activity", async () => (await or.analytics.getUserActivity()).data);

await step("activity_day", async () =>
    (await or.analytics.getUserActivity({ date: env.SY_DATE })).data.length);

await step("activity_workspace", async () =>
    (await or.analytics.getUserActivity({ groupBy: "workspace" })).data.map(
        (r) => r.workspaceId));

console.log(JSON.stringify(out));
