// anthropic_check.mjs - drive a Switchyard dataplane's /messages with the official
// `@anthropic-ai/sdk` npm client. Env: SY_BASE_URL (".../api", the SDK adds /v1/messages),
// SY_KEY, SY_MODEL, SY_CUT_MODEL (a model whose stream is cut mid-answer), SY_DOWN_MODEL (a
// model whose provider always fails). Prints one JSON object: for every step {ok, value} or
// {ok: false, error, status, type}; the Python test checks values.
import Anthropic from "@anthropic-ai/sdk";

const env = process.env;
const client = new Anthropic({ baseURL: env.SY_BASE_URL, apiKey: env.SY_KEY, maxRetries: 0,
                               timeout: 20000 });
const messages = [{ role: "user", content: "Hello from the Anthropic SDK" }];
const tools = [{ name: "get_weather", description: "Weather for a city",
                 input_schema: { type: "object", properties: { location: { type: "string" } },
                                 required: ["location"] } }];
const out = {};

async function step(name, fn) {
    try {
        out[name] = { ok: true, value: await fn() };
    } catch (e) {
        out[name] = { ok: false, error: String(e), status: e?.status ?? null,
                      type: e?.error?.error?.type ?? e?.error?.type ?? null };
    }
}

const summary = (m) => ({ id: m.id, type: m.type, role: m.role, model: m.model,
                          content: m.content, stop_reason: m.stop_reason, usage: m.usage });

await step("create", async () => {
    const { data: m, response } = await client.messages
        .create({ model: env.SY_MODEL, max_tokens: 100, system: "Be brief.", messages })
        .withResponse();
    return { ...summary(m), header_id: response.headers.get("x-generation-id") };
});

await step("stream", async () => {
    const s = client.messages.stream({ model: env.SY_MODEL, max_tokens: 100, messages });
    let text = "";
    const kinds = [];
    s.on("text", (t) => { text += t; });
    s.on("streamEvent", (e) => kinds.push(e.type));
    const m = await s.finalMessage();
    return { text, kinds, final: summary(m) };
});

await step("raw_stream", async () => {
    const s = await client.messages.create({ model: env.SY_MODEL, max_tokens: 100, messages,
                                             stream: true });
    const kinds = [];
    for await (const e of s)
        kinds.push(e.type);
    return kinds;
});

await step("tools", async () => {
    const m = await client.messages.create({ model: env.SY_MODEL, max_tokens: 100, messages,
                                             tools, tool_choice: { type: "any" } });
    const call = m.content.find((b) => b.type === "tool_use");
    const s = client.messages.stream({ model: env.SY_MODEL, max_tokens: 100, messages, tools });
    let json = "";
    s.on("inputJson", (delta) => { json += delta; });
    const streamed = await s.finalMessage();
    // the round trip: the tool's result back, the answer in words
    const next = await client.messages.create({
        model: env.SY_MODEL, max_tokens: 100, tools,
        messages: [...messages, { role: "assistant", content: m.content },
                   { role: "user", content: [{ type: "tool_result", tool_use_id: call.id,
                                               content: "Sunny, 21 C" }] }] });
    return { stop: m.stop_reason, call, streamed: streamed.content.find((b) => b.type === "tool_use"),
             streamed_json: json, next: summary(next) };
});

await step("count_tokens", async () =>
    await client.messages.countTokens({ model: env.SY_MODEL, messages }));

await step("provider_down", async () =>
    await client.messages.create({ model: env.SY_DOWN_MODEL, max_tokens: 10, messages }));

await step("bad_request", async () =>
    await client.messages.create({ model: env.SY_MODEL, max_tokens: 0, messages }));

await step("stream_cut", async () => {
    const s = client.messages.stream({ model: env.SY_CUT_MODEL, max_tokens: 100, messages });
    let text = "";
    s.on("text", (t) => { text += t; });
    await s.finalMessage();
    return text;
});

console.log(JSON.stringify(out));
