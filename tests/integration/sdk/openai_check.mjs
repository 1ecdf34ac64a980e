// openai_check.mjs - drive a Switchyard dataplane with the official `openai` npm client.
// Env: SY_BASE_URL (".../api/v1"), SY_KEY, SY_MODEL, SY_CUT_MODEL (a model whose stream is
// cut mid-answer), SY_DOWN_MODEL (a model whose provider always fails). Prints one JSON
// object: for every step {ok, value} or {ok: false, error}; the Python test checks values.
import OpenAI from "openai";

const env = process.env;
const client = new OpenAI({ baseURL: env.SY_BASE_URL, apiKey: env.SY_KEY, maxRetries: 0,
                            timeout: 20000 });
const messages = [{ role: "user", content: "Hello from the openai SDK" }];
const tools = [{ type: "function", function: {
    name: "get_weather", description: "Weather for a city",
    parameters: { type: "object", properties: { location: { type: "string" } },
                  required: ["location"] } } }];
const out = {};

async function step(name, fn) {
    try {
        out[name] = { ok: true, value: await fn() };
    } catch (e) {
        out[name] = { ok: false, error: String(e), status: e?.status ?? null,
                      code: e?.code ?? e?.error?.code ?? null };
    }
}

await step("chat", async () => {
    const { data: r, response } = await client.chat.completions
        .create({ model: env.SY_MODEL, messages }).withResponse();
    return { id: r.id, header_id: response.headers.get("x-generation-id"), object: r.object,
             model: r.model, provider: r.provider, content: r.choices[0].message.content,
             finish: r.choices[0].finish_reason, usage: r.usage };
});

await step("stream", async () => {
    const s = await client.chat.completions.create({ model: env.SY_MODEL, messages,
                                                     stream: true,
                                                     stream_options: { include_usage: true } });
    let content = "", usage = null, chunks = 0, finish = null;
    const ids = new Set();
    for await (const ch of s) {
        chunks++;
        ids.add(ch.id);
        const c0 = ch.choices[0];
        if (c0?.delta?.content) content += c0.delta.content;
        if (c0?.finish_reason) finish = c0.finish_reason;
        if (ch.usage) usage = ch.usage;
    }
    return { content, ids: [...ids], usage, chunks, finish };
});

await step("tools", async () => {
    const r = await client.chat.completions.create({ model: env.SY_MODEL, messages, tools });
    const s = await client.chat.completions.create({ model: env.SY_MODEL, messages, tools,
                                                     stream: true });
    // the SDK's own stream accumulator
    const runner = client.chat.completions.stream({ model: env.SY_MODEL, messages, tools });
    const final = await runner.finalChatCompletion();
    const calls = {};
    for await (const ch of s)
        for (const tc of ch.choices[0]?.delta?.tool_calls ?? []) {
            calls[tc.index] ??= { id: tc.id, name: tc.function?.name, arguments: "" };
            calls[tc.index].arguments += tc.function?.arguments ?? "";
        }
    return { finish: r.choices[0].finish_reason, call: r.choices[0].message.tool_calls[0],
             streamed: Object.values(calls),
             accumulated: final.choices[0].message.tool_calls[0] };
});

await step("models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    return ids;
});

await step("key", async () => (await client.get("/key")).data);

await step("generation", async () => {
    const id = out.chat.value.id;
    for (let i = 0; i < 50; i++) {
        try {
            return (await client.get("/generation", { query: { id } })).data;
        } catch (e) {
            if (e?.status !== 404) throw e;
            await new Promise((r) => setTimeout(r, 100));
        }
    }
    throw new Error("generation never arrived");
});

await step("unknown_model", async () =>
    client.chat.completions.create({ model: "nobody/nothing", messages }));

await step("provider_down", async () =>
    client.chat.completions.create({ model: env.SY_DOWN_MODEL, messages }));

await step("stream_cut", async () => {
    const s = await client.chat.completions.create({ model: env.SY_CUT_MODEL, messages,
                                                     stream: true });
    let content = "";
    for await (const ch of s) content += ch.choices[0]?.delta?.content ?? "";
    return content;
});

console.log(JSON.stringify(out));
