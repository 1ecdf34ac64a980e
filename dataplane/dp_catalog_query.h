/* dp_catalog_query.h - the query of GET /models, /models/user and /models/count: OpenRouter's
 * filters and paging.
 *
 * Honoured: q (a case-insensitive substring of the id, name or description), category (one
 * of the model's categories), supported_parameters (comma-separated; the model supports every
 * one), context (at least that context length), model_authors (comma-separated authors, the
 * id's part before '/'), input_modalities and output_modalities (comma-separated; the
 * model's architecture lists any of them; "all" keeps every model; output defaults to "text",
 * as OpenRouter's, so embeddings models show only when asked for), offset and limit (a page; total_count counts every match and
 * links.next names the next page). The other filters of OpenRouter's list (sort, prices,
 * benchmark indices, ages, region, zdr, ...) are refused with a 400 naming them; a parameter
 * OpenRouter does not know is left alone. */
#ifndef DP_CATALOG_QUERY_H
#define DP_CATALOG_QUERY_H

#include "switchyard.pb-c.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;

#define DP_CATALOG_QUERY_LIMIT_MAX 1000

struct dp_catalog_query {
	/* borrowed from the request (NULL = absent) */
	const char *q, *category, *supported_parameters, *model_authors;
	const char *input_modalities, *output_modalities;
	long long context; /* 0 = any */
	size_t offset;
	size_t limit; /* 0 = no limit */
};

/* Read and check the query of request c into mq. 0, or SY_EINVAL with a message naming the
 * parameter in err. */
int dp_catalog_query_read(struct MHD_Connection *c, struct dp_catalog_query *mq, char *err,
                          size_t errlen);
/* Whether model m, shown as model (its /models JSON), passes mq's filters. */
bool dp_catalog_query_match(const struct dp_catalog_query *mq, const Sy__Model *m,
                            const json_t *model);
/* links.next of a page that ends at end of total matches: path?<mq's filters>&offset=end
 * &limit=<limit> as a new JSON string, or null when end reaches total. */
json_t *dp_catalog_query_next(const struct dp_catalog_query *mq, const char *path, size_t end,
                              size_t total);

#endif
