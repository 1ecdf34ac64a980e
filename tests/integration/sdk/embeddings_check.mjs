// embeddings_check.mjs - POST /embeddings with the official `openai` npm client.
// Env: SY_BASE_URL (".../api/v1"), SY_KEY, SY_EMBED_MODEL (an embeddings model), SY_MODEL (a
// chat model, refused by /embeddings). Prints one JSON object: for every step {ok, value} or
// {ok: false, error, status}; the Python test checks the values.
import OpenAI from "openai";

const env = process.env;
const client = new OpenAI({ baseURL: env.SY_BASE_URL, apiKey: env.SY_KEY, maxRetries: 0,
                            timeout: 20000 });
const model = env.SY_EMBED_MODEL;
const out = {};

async function step(name, fn) {
    try {
        out[name] = { ok: true, value: await fn() };
    } catch (e) {
        out[name] = { ok: false, error: String(e), status: e?.status ?? null };
    }
}

const view = (r) => ({ object: r.object, model: r.model, provider: r.provider, id: r.id,
                       usage: r.usage,
                       data: r.data.map((d) => ({ object: d.object, index: d.index,
                                                  embedding: d.embedding })) });

// no encoding_format: the SDK asks for base64 and decodes the floats itself
await step("default", async () => {
    const { data: r, response } = await client.embeddings
        .create({ model, input: "The food was delicious", dimensions: 6 }).withResponse();
    return { ...view(r), header_id: response.headers.get("x-generation-id") };
});

await step("float", async () => view(await client.embeddings.create({
    model, input: ["The food was delicious", "and the waiter too"], dimensions: 6,
    encoding_format: "float" })));

// base64 asked for explicitly: the SDK hands the strings over as they came
await step("base64", async () => view(await client.embeddings.create({
    model, input: ["The food was delicious", "and the waiter too"], dimensions: 6,
    encoding_format: "base64" })));

await step("tokens", async () => view(await client.embeddings.create({
    model, input: [[1, 2, 3], [4, 5]], encoding_format: "float" })));

await step("chat_model", async () => view(await client.embeddings.create({
    model: env.SY_MODEL, input: "x" })));

console.log(JSON.stringify(out));
