/* cp_console.c - serves the embedded console files with their security headers. */
#include "cp_console.h"
#include "sy_json.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#define INDEX "/ui/index.html"

/* Only the console's own files: no inline script or style, no framing, no other origin. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

const struct cp_console_file *cp_console_find(const char *url)
{
	if (!strcmp(url, "/") || !strcmp(url, "/ui") || !strcmp(url, "/ui/"))
		url = INDEX;
	for (const struct cp_console_file *f = cp_console_files; f->url; f++)
		if (!strcmp(f->url, url))
			return f;
	return NULL;
}

bool cp_console_match(const char *url)
{
	return !strcmp(url, "/") || !strcmp(url, "/ui") || !strncmp(url, "/ui/", 4);
}

static void headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	/* revalidate: a new binary brings new files under the same names */
	MHD_add_response_header(r, "Cache-Control", "no-cache");
}

int cp_console_serve(struct MHD_Connection *conn, const char *method, const char *url)
{
	const struct cp_console_file *f = cp_console_find(url);
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	struct MHD_Response *r;
	unsigned status = 200;
	if (f && get) {
		r = MHD_create_response_from_buffer(f->len, (void *)f->data,
		                                    MHD_RESPMEM_PERSISTENT);
	} else {
		status = get ? 404 : 405;
		char *body = sy_json_error(
		    (int)status, get ? "no such console file" : "method not allowed here", NULL);
		r = body
		        ? MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE)
		        : NULL;
		if (!r)
			free(body);
	}
	if (!r)
		return MHD_NO;
	headers(r, f && get ? f->content_type : "application/json");
	if (status == 405)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}
