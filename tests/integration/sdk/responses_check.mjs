// responses_check.mjs - drive a Switchyard dataplane's /responses with the official `openai`
// npm client. Env: SY_BASE_URL (".../api/v1"), SY_KEY, SY_MODEL. Prints one JSON object: for
// every step {ok, value} or {ok: false, error, status}; the Python test checks values.
import OpenAI from "openai";

const env = process.env;
const client = new OpenAI({ baseURL: env.SY_BASE_URL, apiKey: env.SY_KEY, maxRetries: 0,
                            timeout: 20000 });
const out = {};
const weather = { type: "function", name: "get_weather", description: "The weather in a city",
                  strict: false,
                  parameters: { type: "object", properties: { city: { type: "string" } },
                                required: ["city"] } };

async function step(name, fn) {
    try {
        out[name] = { ok: true, value: await fn() };
    } catch (e) {
        out[name] = { ok: false, error: String(e), status: e?.status ?? null };
    }
}

await step("create", async () => {
    const { data: r, response } = await client.responses
        .create({ model: env.SY_MODEL, instructions: "Be brief.", input: "Say hello",
                  max_output_tokens: 8, temperature: 0.2, metadata: { run: "sdk" } })
        .withResponse();
    return { id: r.id, header_id: response.headers.get("x-generation-id"), object: r.object,
             status: r.status, model: r.model, text: r.output_text,
             types: r.output.map((o) => o.type), metadata: r.metadata,
             incomplete: r.incomplete_details, usage: r.usage };
});

// the raw event stream, and the SDK's own accumulator (responses.stream) over the same request
await step("stream", async () => {
    const s = await client.responses.create({ model: env.SY_MODEL, input: "Say hello",
                                              stream: true });
    const types = [], seqs = [];
    let text = "", done = null;
    for await (const e of s) {
        types.push(e.type);
        seqs.push(e.sequence_number);
        if (e.type === "response.output_text.delta") text += e.delta;
        if (e.type === "response.completed") done = e.response;
    }
    return { types, seqs, text, status: done?.status, usage: done?.usage,
             output_text: done?.output?.[0]?.content?.[0]?.text };
});

await step("helper", async () => {
    const s = client.responses.stream({ model: env.SY_MODEL, input: "Say hello" });
    const r = await s.finalResponse();
    return { status: r.status, text: r.output_text, usage: r.usage };
});

// a function tool, its call, and the round trip with function_call_output
await step("tools", async () => {
    const first = await client.responses.create({ model: env.SY_MODEL, input: "Weather in Paris?",
                                                  tools: [weather], tool_choice: "auto" });
    const call = first.output.find((o) => o.type === "function_call");
    const second = await client.responses.create({
        model: env.SY_MODEL, tools: [weather],
        input: [{ role: "user", content: "Weather in Paris?" }, ...first.output,
                { type: "function_call_output", call_id: call.call_id, output: "sunny" }] });
    return { call: { name: call.name, call_id: call.call_id, arguments: call.arguments,
                     status: call.status },
             first_types: first.output.map((o) => o.type), second_text: second.output_text,
             second_types: second.output.map((o) => o.type) };
});

await step("tools_stream", async () => {
    const s = client.responses.stream({ model: env.SY_MODEL, input: "Weather in Paris?",
                                        tools: [weather], tool_choice: "required" });
    let args = "";
    s.on("response.function_call_arguments.delta", (e) => { args += e.delta; });
    const r = await s.finalResponse();
    const call = r.output.find((o) => o.type === "function_call");
    return { args, arguments: call?.arguments, name: call?.name, status: r.status };
});

await step("stateless", async () =>
    await client.responses.create({ model: env.SY_MODEL, input: "x",
                                    previous_response_id: "resp_123" }));

console.log(JSON.stringify(out));
