/* cp_console.h - the admin web console: static files embedded in the binary at build time.
 *
 * The console is a single page (controlplane/console/) that talks only to the admin REST API
 * with the management key the operator signs in with; these files hold no data and need no
 * key. The build embeds them (console/embed.sh, with Debian's Chart.js) as cp_console_files,
 * so the binary and its console never disagree. Every answer carries a Content-Security-Policy
 * that allows only the console's own scripts and styles, and X-Frame-Options: DENY. */
#ifndef CP_CONSOLE_H
#define CP_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;

/* One embedded file. */
struct cp_console_file {
	const char *url;          /* e.g. "/ui/console.js" */
	const char *content_type; /* e.g. "text/javascript; charset=utf-8" */
	const unsigned char *data;
	size_t len;
};

/* The generated table, ended by an entry with url NULL. */
extern const struct cp_console_file cp_console_files[];

/* The file served at url ("/" and "/ui/" are the page itself); NULL if none. */
const struct cp_console_file *cp_console_find(const char *url);
/* True if url belongs to the console ("/", "/ui" and everything under "/ui/"). */
bool cp_console_match(const char *url);
/* Answer a console request: the file (GET, HEAD), 404 for an unknown one, 405 for other
 * methods. MHD_YES or MHD_NO as MHD_queue_response returns. */
int cp_console_serve(struct MHD_Connection *conn, const char *method, const char *url);

#endif
