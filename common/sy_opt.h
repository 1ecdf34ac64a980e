/* sy_opt.h - one option table per binary (the shape of redis's standardConfig): each entry
 * names a long option, the field of the binary's settings struct it sets, its default, its
 * bounds and its help. The table alone drives parsing (getopt_long), --help, -n (every
 * setting printed) and the README's flag table (--options-markdown), so adding an option is
 * adding one line to the table (and the field it sets).
 *
 *   struct args { int workers; const char *listen; bool check; };
 *   static const struct sy_opt opts[] = {
 *       SY_OPT_STR("listen", struct args, listen, "0.0.0.0:8080", "HOST:PORT", "address"),
 *       SY_OPT_INT("workers", struct args, workers, 4, 1, 256, "worker processes"),
 *       SY_OPT_CHECK(struct args, check),
 *   };
 *
 * Options of no table row, built in: -h/--help, --version, --options-markdown. */
#ifndef SY_OPT_H
#define SY_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum sy_opt_type {
	SY_OPT_T_STR,  /* const char *: the argument itself */
	SY_OPT_T_INT,  /* an integer in [min, max], stored times scale (int32 or int64 field) */
	SY_OPT_T_BOOL, /* bool, set by the option without an argument */
};

struct sy_opt;
/* Checks or applies an argument once stored in its field: 0, or SY_EINVAL with the reason
 * printed on stderr (naming the option). */
typedef int sy_opt_hook(const struct sy_opt *o, const char *arg, void *settings);

struct sy_opt {
	const char *name; /* long option, without "--" */
	char short_name;  /* 0 = none */
	enum sy_opt_type type;
	const char *arg;      /* its argument in --help ("N", "HOST:PORT"); NULL for BOOL */
	size_t off, size;     /* the field in the settings struct */
	long long dflt;       /* INT: the default, in the option's units */
	long long min, max;   /* INT: accepted values, in the option's units */
	long long scale;      /* INT: the field holds value * scale (1, or 1024 for a KiB option) */
	const char *dflt_str; /* STR: the default value; INT: if set, a description of a default
	                         * the binary computes itself (--help shows it, dflt is not applied) */
	sy_opt_hook *hook;    /* optional, after the field is set */
	const char *help;     /* '\n' starts another --help line */
};

#define SY_OPT_FIELD(T, f) offsetof(T, f), sizeof(((T *)0)->f)

/* A string option; dflt may be NULL (then "none"). */
#define SY_OPT_STR(name, T, f, dflt, arg, help)                                                    \
	{                                                                                          \
		name, 0, SY_OPT_T_STR, arg, SY_OPT_FIELD(T, f), 0, 0, 0, 1, dflt, NULL, help       \
	}
/* A string option checked or applied by hook. */
#define SY_OPT_STR_HOOK(name, T, f, dflt, arg, hook, help)                                         \
	{                                                                                          \
		name, 0, SY_OPT_T_STR, arg, SY_OPT_FIELD(T, f), 0, 0, 0, 1, dflt, hook, help       \
	}
/* An integer option (N). */
#define SY_OPT_INT(name, T, f, dflt, min, max, help)                                               \
	{                                                                                          \
		name, 0, SY_OPT_T_INT, "N", SY_OPT_FIELD(T, f), dflt, min, max, 1, NULL, NULL,     \
		    help                                                                           \
	}
/* An integer option stored times scale. */
#define SY_OPT_INT_SCALED(name, T, f, dflt, min, max, scale, help)                                 \
	{                                                                                          \
		name, 0, SY_OPT_T_INT, "N", SY_OPT_FIELD(T, f), dflt, min, max, scale, NULL, NULL, \
		    help                                                                           \
	}
/* An integer option whose default the binary computes (described by dflt_text). */
#define SY_OPT_INT_COMPUTED(name, T, f, dflt_text, min, max, help)                                 \
	{                                                                                          \
		name, 0, SY_OPT_T_INT, "N", SY_OPT_FIELD(T, f), 0, min, max, 1, dflt_text, NULL,   \
		    help                                                                           \
	}
/* A switch (off by default). */
#define SY_OPT_BOOL(name, T, f, help)                                                              \
	{                                                                                          \
		name, 0, SY_OPT_T_BOOL, NULL, SY_OPT_FIELD(T, f), 0, 0, 0, 1, NULL, NULL, help     \
	}
/* -n / --check: validate the configuration, print every setting and exit. */
#define SY_OPT_CHECK(T, f)                                                                         \
	{                                                                                          \
		"check", 'n', SY_OPT_T_BOOL, NULL, SY_OPT_FIELD(T, f), 0, 0, 0, 1, NULL, NULL,     \
		    "validate the configuration, print every setting and exit"                     \
	}

/* --log-level: sy_log's level, set as it is parsed. */
#define SY_OPT_LOG_LEVEL(T, f)                                                                     \
	SY_OPT_STR_HOOK("log-level", T, f, "info", "LEVEL", sy_opt_log_level,                      \
	                "error|warn|info|debug")
/* The hook of SY_OPT_LOG_LEVEL. */
int sy_opt_log_level(const struct sy_opt *o, const char *arg, void *settings);

/* A binary's table. */
struct sy_opt_table {
	const char *prog;  /* "switchyard-dataplane" */
	const char *intro; /* --help text between the usage line and the options */
	const char *outro; /* --help text after the options; may be NULL */
	const struct sy_opt *opts;
	size_t n;
};

/* A binary's table over its array of rows. */
#define SY_OPT_TABLE(prog, intro, outro, opts)                                                     \
	{                                                                                          \
		prog, intro, outro, opts, sizeof(opts) / sizeof((opts)[0])                         \
	}

/* What sy_opt_parse returns besides 0 and SY_EINVAL: --help, --version or --options-markdown
 * was printed on stdout, and the binary exits 0. */
#define SY_OPT_EXIT 1

/* Set every option's default in settings (INT options with a computed default excepted). */
void sy_opt_defaults(const struct sy_opt_table *t, void *settings);
/* Parse argv into settings (call sy_opt_defaults first). *first_operand receives the index of
 * the first non-option argument. 0, SY_OPT_EXIT, or SY_EINVAL with the reason on stderr. */
int sy_opt_parse(const struct sy_opt_table *t, int argc, char **argv, void *settings,
                 int *first_operand);
/* The --help text. */
void sy_opt_help(const struct sy_opt_table *t, FILE *f);
/* Every setting, one "name value" line each (-n). */
void sy_opt_print(const struct sy_opt_table *t, const void *settings, FILE *f);
/* The README's flag table: "| flag | default | meaning |" rows. */
void sy_opt_markdown(const struct sy_opt_table *t, FILE *f);

#endif
