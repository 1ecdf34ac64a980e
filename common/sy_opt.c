/* sy_opt.c - table-driven command lines: getopt_long underneath, --help, -n and the README's
 * table from the same rows. */
#include "sy_opt.h"
#include "sy_err.h"
#include "sy_log.h"
#include "sy_proc.h"
#include "sy_version.h"

#include <assert.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HELP_COL 32 /* where the help text starts in --help */

enum {
	OPT_HELP = -2,
	OPT_VERSION = -3,
	OPT_MARKDOWN = -4,
	OPT_BASE = 256
};

static void *field(const struct sy_opt *o, void *settings)
{
	return (char *)settings + o->off;
}

static const void *cfield(const struct sy_opt *o, const void *settings)
{
	return (const char *)settings + o->off;
}

static void set_int(const struct sy_opt *o, void *settings, long long v)
{
	if (o->size == sizeof(int32_t)) {
		int32_t x = (int32_t)v;
		memcpy(field(o, settings), &x, sizeof(x));
	} else {
		int64_t x = v;
		memcpy(field(o, settings), &x, sizeof(x));
	}
}

static long long get_int(const struct sy_opt *o, const void *settings)
{
	if (o->size == sizeof(int32_t)) {
		int32_t x;
		memcpy(&x, cfield(o, settings), sizeof(x));
		return x;
	}
	int64_t x;
	memcpy(&x, cfield(o, settings), sizeof(x));
	return x;
}

int sy_opt_log_level(const struct sy_opt *o, const char *arg, void *settings)
{
	if (!sy_log_set_level_name(arg))
		return 0;
	fprintf(stderr, "--%s: want error, warn, info or debug, got '%s'\n", o->name, arg);
	return SY_EINVAL;
}

/* A row whose field does not have its type's size is a mistake in the table. */
static bool field_fits(const struct sy_opt *o)
{
	switch (o->type) {
	case SY_OPT_T_STR:
		return o->size == sizeof(const char *);
	case SY_OPT_T_INT:
		return (o->size == sizeof(int32_t) || o->size == sizeof(int64_t)) && o->scale > 0;
	case SY_OPT_T_BOOL:
		return o->size == sizeof(bool);
	}
	return false;
}

void sy_opt_defaults(const struct sy_opt_table *t, void *settings)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct sy_opt *o = &t->opts[i];
		assert(field_fits(o));
		if (o->type == SY_OPT_T_STR)
			memcpy(field(o, settings), &o->dflt_str, sizeof(o->dflt_str));
		else if (o->type == SY_OPT_T_INT && !o->dflt_str)
			set_int(o, settings, o->dflt * o->scale);
		else if (o->type == SY_OPT_T_BOOL)
			*(bool *)field(o, settings) = false;
	}
}

static int set(const struct sy_opt *o, const char *arg, void *settings)
{
	long long v;
	switch (o->type) {
	case SY_OPT_T_STR:
		memcpy(field(o, settings), &arg, sizeof(arg));
		break;
	case SY_OPT_T_INT:
		if (!sy_parse_num(arg, o->min, o->max, &v)) {
			fprintf(stderr, "--%s: want an integer from %lld to %lld, got '%s'\n",
			        o->name, o->min, o->max, arg);
			return SY_EINVAL;
		}
		set_int(o, settings, v * o->scale);
		break;
	case SY_OPT_T_BOOL:
		*(bool *)field(o, settings) = true;
		break;
	}
	return o->hook ? o->hook(o, arg, settings) : 0;
}

int sy_opt_parse(const struct sy_opt_table *t, int argc, char **argv, void *settings,
                 int *first_operand)
{
	static const struct option builtin[] = {
	    {"help", no_argument, NULL, OPT_HELP},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"options-markdown", no_argument, NULL, OPT_MARKDOWN},
	};
	const size_t nb = sizeof(builtin) / sizeof(builtin[0]);
	struct option *lo = calloc(t->n + nb + 1, sizeof(*lo));
	char shorts[64] = "h";
	size_t ns = 1;
	int c, rc = 0;
	if (!lo)
		return SY_EINVAL;
	for (size_t i = 0; i < t->n; i++) {
		const struct sy_opt *o = &t->opts[i];
		lo[i] = (struct option){o->name,
		                        o->type == SY_OPT_T_BOOL ? no_argument : required_argument,
		                        NULL, OPT_BASE + (int)i};
		if (o->short_name && ns + 2 < sizeof(shorts)) {
			shorts[ns++] = o->short_name;
			if (o->type != SY_OPT_T_BOOL)
				shorts[ns++] = ':';
		}
	}
	memcpy(lo + t->n, builtin, sizeof(builtin));
	shorts[ns] = '\0';
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct sy_opt *o = NULL;
		if (c >= OPT_BASE && (size_t)(c - OPT_BASE) < t->n)
			o = &t->opts[c - OPT_BASE];
		for (size_t i = 0; !o && c > 0 && c < OPT_BASE && i < t->n; i++)
			if (t->opts[i].short_name == c)
				o = &t->opts[i];
		if (o) {
			rc = set(o, optarg, settings);
		} else if (c == 'h' || c == OPT_HELP) {
			sy_opt_help(t, stdout);
			rc = SY_OPT_EXIT;
		} else if (c == OPT_VERSION) {
			sy_version_print(stdout, t->prog);
			rc = SY_OPT_EXIT;
		} else if (c == OPT_MARKDOWN) {
			sy_opt_markdown(t, stdout);
			rc = SY_OPT_EXIT;
		} else {
			sy_opt_help(t, stderr);
			rc = SY_EINVAL;
		}
	}
	free(lo);
	*first_operand = optind;
	return rc;
}

/* The flag as --help and the README show it: "-n, --check", "--listen HOST:PORT". */
static void flag(const struct sy_opt *o, char *buf, size_t len)
{
	char sh[8] = "";
	if (o->short_name)
		snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
	snprintf(buf, len, "%s--%s%s%s", sh, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

/* The default as --help and the README show it; "" when there is none to show. */
static void default_text(const struct sy_opt *o, char *buf, size_t len)
{
	*buf = '\0';
	if (o->type == SY_OPT_T_STR && o->dflt_str)
		snprintf(buf, len, "%s", o->dflt_str);
	else if (o->type == SY_OPT_T_INT)
		o->dflt_str ? snprintf(buf, len, "%s", o->dflt_str)
		            : snprintf(buf, len, "%lld", o->dflt);
}

void sy_opt_help(const struct sy_opt_table *t, FILE *f)
{
	fprintf(f, "usage: %s [options]\n\n%s\n", t->prog, t->intro);
	for (size_t i = 0; i < t->n; i++) {
		const struct sy_opt *o = &t->opts[i];
		char fl[96], dflt[96];
		flag(o, fl, sizeof(fl));
		default_text(o, dflt, sizeof(dflt));
		int w = fprintf(f, "  %s", fl);
		for (const char *h = o->help; *h;) {
			size_t n = strcspn(h, "\n");
			fprintf(f, "%*s%.*s", w < HELP_COL ? HELP_COL - w : 1, "", (int)n, h);
			h += n;
			if (*h) {
				fputc('\n', f);
				h++;
				w = 0;
			}
		}
		fprintf(f, dflt[0] ? " (default %s)\n" : "\n", dflt);
	}
	fprintf(f, "  -h, --help%*sthis text\n", HELP_COL - 12, "");
	fprintf(f, "  --version%*sprint the version and git revision\n", HELP_COL - 11, "");
	if (t->outro)
		fprintf(f, "\n%s", t->outro);
}

void sy_opt_print(const struct sy_opt_table *t, const void *settings, FILE *f)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct sy_opt *o = &t->opts[i];
		const char *s;
		if (o->short_name == 'n') /* -n itself */
			continue;
		switch (o->type) {
		case SY_OPT_T_STR:
			memcpy(&s, cfield(o, settings), sizeof(s));
			fprintf(f, "%s %s\n", o->name, s ? s : "none");
			break;
		case SY_OPT_T_INT:
			fprintf(f, "%s %lld\n", o->name, get_int(o, settings) / o->scale);
			break;
		case SY_OPT_T_BOOL:
			fprintf(f, "%s %s\n", o->name,
			        *(const bool *)cfield(o, settings) ? "on" : "off");
			break;
		}
	}
}

void sy_opt_markdown(const struct sy_opt_table *t, FILE *f)
{
	fputs("| flag | default | meaning |\n|---|---|---|\n", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct sy_opt *o = &t->opts[i];
		char fl[96], dflt[96];
		flag(o, fl, sizeof(fl));
		default_text(o, dflt, sizeof(dflt));
		/* a value in backquotes; a computed default's description as it is */
		const char *q = dflt[0] && !(o->type == SY_OPT_T_INT && o->dflt_str) ? "`" : "";
		fprintf(f, "| `%s` | %s%s%s | ", fl, q, dflt, q);
		for (const char *h = o->help; *h; h++) {
			if (*h == '|')
				fputc('\\', f); /* a table cell */
			fputc(*h == '\n' ? ' ' : *h, f);
		}
		fputs(" |\n", f);
	}
}
