// completions_check.mjs - drive a Switchyard dataplane's legacy /completions with the official
// `openai` npm client. Env: SY_BASE_URL (".../api/v1"), SY_KEY, SY_MODEL. Prints one JSON
// object: for every step {ok, value} or {ok: false, error, status}; the Python test checks
// values.
import OpenAI from "openai";

const env = process.env;
const client = new OpenAI({ baseURL: env.SY_BASE_URL, apiKey: env.SY_KEY, maxRetries: 0,
                            timeout: 20000 });
const out = {};

async function step(name, fn) {
    try {
        out[name] = { ok: true, value: await fn() };
    } catch (e) {
        out[name] = { ok: false, error: String(e), status: e?.status ?? null };
    }
}

await step("create", async () => {
    const { data: r, response } = await client.completions
        .create({ model: env.SY_MODEL, prompt: "Say hello", max_tokens: 8, stop: ["\n"],
                  temperature: 0.2 })
        .withResponse();
    return { id: r.id, header_id: response.headers.get("x-generation-id"), object: r.object,
             model: r.model, text: r.choices[0].text, finish: r.choices[0].finish_reason,
             usage: r.usage };
});

await step("array_prompt", async () => {
    const r = await client.completions.create({ model: env.SY_MODEL, prompt: ["Say hello"] });
    return r.choices[0].text;
});

await step("stream", async () => {
    const s = await client.completions.create({ model: env.SY_MODEL, prompt: "Say hello",
                                                stream: true });
    let text = "", finish = null, usage = null;
    const objects = new Set();
    for await (const ch of s) {
        objects.add(ch.object);
        if (ch.choices[0]?.text) text += ch.choices[0].text;
        if (ch.choices[0]?.finish_reason) finish = ch.choices[0].finish_reason;
        if (ch.usage) usage = ch.usage;
    }
    return { text, finish, usage, objects: [...objects] };
});

await step("echo", async () =>
    await client.completions.create({ model: env.SY_MODEL, prompt: "x", echo: true }));

console.log(JSON.stringify(out));
