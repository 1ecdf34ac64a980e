// openrouter_check.mjs - drive a Switchyard dataplane with OpenRouter's own `@openrouter/sdk`,
// whose response schemas are strict (zod): a missing or mistyped field fails the step.
// Env: SY_BASE_URL (".../api/v1"), SY_KEY, SY_MODEL ("author/slug"), SY_CUT_MODEL (a model
// whose stream is cut mid-answer), SY_DOWN_MODEL (a model whose provider always fails).
// Prints one JSON object: for every step {ok, value} or {ok: false, error}.
import { OpenRouter } from "@openrouter/sdk";

const env = process.env;
const or = new OpenRouter({ apiKey: env.SY_KEY, serverURL: env.SY_BASE_URL,
                            retryConfig: { strategy: "none" }, timeoutMs: 20000 });
const messages = [{ role: "user", content: "Hello from the OpenRouter SDK" }];
const tools = [{ type: "function", function: {
    name: "get_weather", description: "Weather for a city",
    parameters: { type: "object", properties: { location: { type: "string" } },
                  required: ["location"] } } }];
const out = {};

// Node 18's bundled undici (Debian 12's nodejs) can throw from its own fetch internals,
// uncaught, when the last bytes of a response (the chunked terminator) arrive after the SDK
// has stopped reading the stream (here: after a stream's in-band error chunk). That is the
// client library's race, not an answer of ours: count it, and fail on anything else.
process.on("uncaughtException", (e) => {
    if (e && e.code === "ERR_INVALID_STATE" && /Controller is already closed/.test(e.message)) {
        out.undici_late_bytes = (out.undici_late_bytes || 0) + 1;
        return;
    }
    console.error(e);
    process.exit(1);
});

async function step(name, fn) {
    try {
        out[name] = { ok: true, value: await fn() };
    } catch (e) {
        out[name] = { ok: false, error: String(e), name: e?.name ?? null,
                      status: e?.statusCode ?? e?.status ?? null,
                      body: e?.body ?? null, detail: e?.rawValue ? undefined : e?.cause?.message };
    }
}

await step("chat", async () => {
    const r = await or.chat.send({ chatRequest: { model: env.SY_MODEL, messages } });
    return { id: r.id, object: r.object, model: r.model, fingerprint: r.systemFingerprint,
             content: r.choices[0].message.content, finish: r.choices[0].finishReason,
             usage: r.usage };
});

await step("stream", async () => {
    const s = await or.chat.send({ chatRequest: { model: env.SY_MODEL, messages, stream: true } });
    let content = "", usage = null, chunks = 0, finish = null;
    const ids = new Set();
    for await (const ch of s) {
        chunks++;
        ids.add(ch.id);
        const c0 = ch.choices[0];
        if (c0?.delta?.content) content += c0.delta.content;
        if (c0?.finishReason) finish = c0.finishReason;
        if (ch.usage) usage = ch.usage;
    }
    return { content, ids: [...ids], usage, chunks, finish };
});

await step("tools", async () => {
    const r = await or.chat.send({ chatRequest: { model: env.SY_MODEL, messages, tools } });
    const s = await or.chat.send({ chatRequest: { model: env.SY_MODEL, messages, tools,
                                                  stream: true } });
    const calls = {};
    for await (const ch of s)
        for (const tc of ch.choices[0]?.delta?.toolCalls ?? []) {
            calls[tc.index] ??= { id: tc.id, name: tc.function?.name, arguments: "" };
            calls[tc.index].arguments += tc.function?.arguments ?? "";
        }
    const call = r.choices[0].message.toolCalls[0];
    return { finish: r.choices[0].finishReason,
             call: { id: call.id, name: call.function.name, arguments: call.function.arguments },
             streamed: Object.values(calls) };
});

await step("models", async () => {
    const res = await or.models.list();
    return res.result.data.map((m) => ({ id: m.id, prompt: m.pricing.prompt,
                                         context: m.contextLength }));
});

await step("endpoints", async () => {
    const [author, slug] = env.SY_MODEL.split("/");
    const res = await or.endpoints.list({ author, slug });
    return { id: res.data.id, endpoints: res.data.endpoints.map((e) => e.providerName) };
});

await step("providers", async () => (await or.providers.list()).data.map((p) => p.name));

await step("key", async () => {
    const k = (await or.apiKeys.getCurrentKeyMetadata()).data;
    return { label: k.label, isFreeTier: k.isFreeTier, limit: k.limit, usage: k.usage };
});

await step("generation", async () => {
    const id = out.chat.value.id;
    for (let i = 0; i < 50; i++) {
        try {
            const g = (await or.generations.getGeneration({ id })).data;
            return { id: g.id, model: g.model, providerName: g.providerName,
                     tokensCompletion: g.tokensCompletion, streamed: g.streamed,
                     totalCost: g.totalCost };
        } catch (e) {
            if ((e?.statusCode ?? 0) !== 404) throw e;
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    throw new Error("generation never arrived");
});

await step("unknown_model", async () =>
    or.chat.send({ chatRequest: { model: "nobody/nothing", messages } }));

await step("provider_down", async () =>
    or.chat.send({ chatRequest: { model: env.SY_DOWN_MODEL, messages } }));

await step("stream_cut", async () => {
    const s = await or.chat.send({ chatRequest: { model: env.SY_CUT_MODEL, messages,
                                                  stream: true } });
    let content = "", last = null;
    for await (const ch of s) {
        content += ch.choices[0]?.delta?.content ?? "";
        last = ch;
    }
    return { content, error: last?.error ?? null, finish: last?.choices?.[0]?.finishReason };
});

console.log(JSON.stringify(out));
