// openrouter_catalog_check.mjs - @openrouter/sdk's catalog calls against a Switchyard
// dataplane: models.list with filters and with paging, models.count, models.get and
// models.listForUser. The SDK validates every answer with its zod schemas: a missing or
// mistyped field fails the step. Env: SY_BASE_URL (".../api/v1"), SY_KEY.
// Prints one JSON object: for every step {ok, value} or {ok: false, error}.
import { OpenRouter } from "@openrouter/sdk";

const env = process.env;
const or = new OpenRouter({ apiKey: env.SY_KEY, serverURL: env.SY_BASE_URL,
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

await step("list_filtered", async () => {
    const res = await or.models.list({ category: "programming",
                                       supportedParameters: "tools,temperature" });
    return { ids: res.result.data.map((m) => m.id), total: res.result.totalCount,
             next: res.result.links.next };
});

await step("list_paged", async () => {
    const ids = [];
    let pages = 0;
    for (let offset = 0; ; ) {
        const res = await or.models.list({ offset, limit: 2 });
        pages++;
        ids.push(...res.result.data.map((m) => m.id));
        if (!res.result.links.next)
            break;
        offset = Number(new URL(res.result.links.next, "http://x").searchParams.get("offset"));
    }
    return { ids, pages };
});

await step("count", async () => (await or.models.count()).data.count);

await step("get", async () => {
    const r = await or.models.get({ author: "beta", slug: "sci" });
    return { id: r.data.id, tokenizer: r.data.architecture.tokenizer,
             context: r.data.contextLength };
});

await step("user", async () => {
    const r = await or.models.listForUser({ bearer: env.SY_KEY }, {});
    return { total: r.result.totalCount, ids: r.result.data.map((m) => m.id) };
});

console.log(JSON.stringify(out));
