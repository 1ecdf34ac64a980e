/* mock_embed.h - the mock's embeddings: OpenAI's POST .../v1/embeddings and Gemini's
 * :embedContent and :batchEmbedContents.
 *
 * Vectors are deterministic: component j of an input's vector is derived from a hash (FNV-1a)
 * of the input's text (or of its token ids) and j, a multiple of 1/1024 in [-1, 1) — exact in
 * float32, so the float and base64 forms carry the same numbers. dimensions (OpenAI) or
 * outputDimensionality (Gemini) sets the length, else MOCK_EMBED_DIMS. Usage counts
 * ceil(characters / 4) per text input (at least 1) and one token per token id. */
#ifndef MOCK_EMBED_H
#define MOCK_EMBED_H

#include "mock_reply.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define MOCK_EMBED_DIMS 8
#define MOCK_EMBED_DIMS_MAX 4096

/* Component j of the vector of an input whose text (or token id JSON) is s, n bytes. */
double mock_embed_value(const char *s, size_t n, unsigned j);
/* The answer body (malloc'ed JSON) to request req in format f (MOCK_OPENAI, or MOCK_GEMINI
 * with batch for :batchEmbedContents); NULL with a client-facing *why for a bad request (or
 * *why NULL when out of memory). model is echoed by OpenAI's answer. */
char *mock_embed_answer(enum mock_format f, bool batch, const json_t *req, const char *model,
                        const char **why);

#endif
