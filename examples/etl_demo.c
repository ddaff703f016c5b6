/* SPDX-License-Identifier: MIT */
/*
 * etl_demo.c - a small, deterministic ETL program marked for etltrace.
 *
 * Each round runs one pipeline over generated customer data:
 *
 *   pipeline
 *   ├── extract                 generate CSV text, parse it into a dataset
 *   │   ├── generate_csv
 *   │   └── parse_csv           (records parsed)
 *   ├── transform
 *   │   ├── transform_batch     (records in the batch; one per batch, on a
 *   │   │   │                    worker thread when --threads > 1)
 *   │   │   ├── validate
 *   │   │   ├── enrich
 *   │   │   └── dedupe
 *   │   └── aggregate           global dedupe, per-country totals, quantiles
 *   └── load                    (rows written)
 *       ├── write_rows          (rows written)
 *       └── sync
 *
 * Memory moves on purpose: extract keeps the dataset (positive delta, with a
 * higher peak while the CSV text is alive), each batch allocates and frees
 * scratch buffers (zero delta, positive peak), load frees the dataset
 * (negative delta). Diagnostics go to stderr; stdout stays empty for the
 * tracer's report.
 *
 *   etl_demo [--records N] [--batch-size N] [--rounds N] [--seed N]
 *            [--pause-ms N] [--threads N] [--output PATH]
 *
 * Exit status: 0 success, 1 runtime failure, 2 bad usage.
 */
#define _GNU_SOURCE
#include <etl_probe.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- options ------------------------------------------------------------ */

#define DEFAULT_RECORDS    300000
#define DEFAULT_BATCH_SIZE 5000
#define DEFAULT_ROUNDS     3
#define DEFAULT_SEED       42
#define DEFAULT_PAUSE_MS   200
#define MAX_THREADS        64

struct options {
	size_t records;     /* CSV lines generated per round */
	size_t batch_size;  /* records per transform_batch */
	unsigned rounds;    /* pipeline repetitions */
	unsigned threads;   /* transform workers; 1 = the main thread */
	unsigned pause_ms;  /* sleep between rounds */
	uint64_t seed;      /* PRNG seed; the same seed gives the same data */
	const char *output; /* load target; NULL = a temporary file, removed */
};

enum parse_result { PARSE_OK, PARSE_HELP, PARSE_BAD };

static void print_usage(FILE *f)
{
	fprintf(f,
		"Usage: etl_demo [OPTION]...\n"
		"Run a small ETL pipeline (extract, transform, load) on generated\n"
		"customer data, with etl_probe.h markers for etltrace.\n"
		"\n"
		"  -n, --records N     CSV records generated per round (default %d)\n"
		"  -b, --batch-size N  records per transform batch (default %d)\n"
		"  -r, --rounds N      times the whole pipeline runs (default %d)\n"
		"  -s, --seed N        PRNG seed (default %d)\n"
		"  -p, --pause-ms N    sleep between rounds, in ms (default %d)\n"
		"  -t, --threads N     transform worker threads (default 1, max %d)\n"
		"  -o, --output PATH   write loaded rows to PATH (e.g. /dev/null);\n"
		"                      default: a temporary file, removed after each round\n"
		"  -h, --help          show this help\n"
		"\n"
		"Example: etltrace -- etl_demo --threads 2\n",
		DEFAULT_RECORDS, DEFAULT_BATCH_SIZE, DEFAULT_ROUNDS, DEFAULT_SEED,
		DEFAULT_PAUSE_MS, MAX_THREADS);
}

/* Parses a decimal unsigned integer in [min, max] with nothing after it.
 * Returns true and sets *out on success. */
static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static const struct option longopts[] = {
	{ "records", required_argument, NULL, 'n' },
	{ "batch-size", required_argument, NULL, 'b' },
	{ "rounds", required_argument, NULL, 'r' },
	{ "seed", required_argument, NULL, 's' },
	{ "pause-ms", required_argument, NULL, 'p' },
	{ "threads", required_argument, NULL, 't' },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The long name of the option whose short letter is c, for messages. */
static const char *option_name(int c)
{
	for (const struct option *lo = longopts; lo->name; lo++)
		if (lo->val == c)
			return lo->name;
	return "?";
}

/* Fills *o from argv. On PARSE_BAD one line has been written to stderr. */
static enum parse_result parse_options(int argc, char **argv, struct options *o)
{
	uint64_t v;
	int c;

	*o = (struct options){
		.records = DEFAULT_RECORDS,
		.batch_size = DEFAULT_BATCH_SIZE,
		.rounds = DEFAULT_ROUNDS,
		.threads = 1,
		.pause_ms = DEFAULT_PAUSE_MS,
		.seed = DEFAULT_SEED,
		.output = NULL,
	};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:b:r:s:p:t:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_uint(optarg, 1, 50000000, &v))
				goto bad_value;
			o->records = v;
			break;
		case 'b':
			if (!parse_uint(optarg, 1, 10000000, &v))
				goto bad_value;
			o->batch_size = v;
			break;
		case 'r':
			if (!parse_uint(optarg, 1, 1000000, &v))
				goto bad_value;
			o->rounds = v;
			break;
		case 's':
			if (!parse_uint(optarg, 0, UINT64_MAX, &v))
				goto bad_value;
			o->seed = v;
			break;
		case 'p':
			if (!parse_uint(optarg, 0, 3600000, &v))
				goto bad_value;
			o->pause_ms = v;
			break;
		case 't':
			if (!parse_uint(optarg, 1, MAX_THREADS, &v))
				goto bad_value;
			o->threads = v;
			break;
		case 'o':
			if (!*optarg)
				goto bad_value;
			o->output = optarg;
			break;
		case 'h':
			return PARSE_HELP;
		case ':':
			fprintf(stderr, "etl_demo: option --%s needs a value (see --help)\n",
				option_name(optopt));
			return PARSE_BAD;
		default:
			if (optopt)
				fprintf(stderr, "etl_demo: unknown option -%c (see --help)\n",
					optopt);
			else
				fprintf(stderr, "etl_demo: unknown option %s (see --help)\n",
					argv[optind - 1]);
			return PARSE_BAD;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "etl_demo: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return PARSE_BAD;
	}
	return PARSE_OK;

bad_value:
	fprintf(stderr, "etl_demo: invalid value '%s' for --%s (see --help)\n",
		optarg, option_name(c));
	return PARSE_BAD;
}

/* ---- deterministic PRNG (splitmix64) ----------------------------------- */

struct rng {
	uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. The tiny modulo bias does not matter here. */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

/* True with probability per_mille / 1000. */
static bool rng_chance(struct rng *r, uint32_t per_mille)
{
	return rng_below(r, 1000) < per_mille;
}

/* ---- growable text buffer ----------------------------------------------- */

struct strbuf {
	char *data; /* NUL-terminated when non-NULL; owned */
	size_t len;
	size_t cap;
};

/* Ensures room for `extra` more bytes plus a NUL. Returns 0 or -1 (ENOMEM). */
static int sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	size_t cap = sb->cap ? sb->cap : 4096;
	char *p;

	if (need <= sb->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->data, cap);
	if (!p)
		return -1;
	sb->data = p;
	sb->cap = cap;
	return 0;
}

/* Appends printf-formatted text, growing as needed. Returns 0 or -1. */
__attribute__((format(printf, 2, 3)))
static int sb_appendf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = sb->cap - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->data ? sb->data + sb->len : NULL,
			      sb->data ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if (sb->data && (size_t)n < room) {
			sb->len += (size_t)n;
			return 0;
		}
		if (sb_reserve(sb, (size_t)n) != 0)
			return -1;
	}
}

static void sb_free(struct strbuf *sb)
{
	free(sb->data);
	*sb = (struct strbuf){ 0 };
}

/* ---- the dataset ---------------------------------------------------------- */

enum { F_VALID = 1u << 0, F_DUPLICATE = 1u << 1 };

enum reject_reason {
	REJ_NONE,
	REJ_NAME,
	REJ_EMAIL,
	REJ_AGE,
	REJ_BALANCE,
	REJ_COUNTRY,
	REJ_DATE,
	REJ_COUNT
};

enum segment { SEG_BASIC, SEG_SILVER, SEG_GOLD, SEG_PLATINUM, SEG_COUNT };

static const char *const segment_names[SEG_COUNT] = { "basic", "silver", "gold",
						      "platinum" };

static const char *const countries[] = { "US", "GB", "DE", "FR", "NL", "SE",
					 "ES", "IT", "PL", "CA", "AU", "JP" };
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

struct customer {
	uint64_t id;
	uint64_t key;      /* FNV-1a of the normalised email; set by enrich */
	double balance;    /* NAN when the field did not parse */
	double score;      /* set by enrich */
	int32_t age;       /* -1 when the field did not parse */
	uint16_t year;     /* signup date */
	uint8_t month, day;
	uint8_t flags;     /* F_* */
	uint8_t segment;   /* enum segment; set by enrich */
	uint8_t reject;    /* enum reject_reason; set by validate */
	char country[4];
	char name[40];
	char email[64];
	char city[24];
};

struct dataset {
	struct customer *rows; /* owned */
	size_t n;
	size_t cap;
};

static void dataset_free(struct dataset *ds)
{
	free(ds->rows);
	*ds = (struct dataset){ 0 };
}

/* Counters of one round; summed over rounds for the final line. */
struct round_stats {
	size_t generated, malformed, parsed;
	size_t valid, rejected, duplicates;
	size_t rows_written;
	uint64_t bytes_written;
	double median_balance;
	size_t reasons[REJ_COUNT];
};

/* ---- extract ------------------------------------------------------------- */

static const char *const first_names[] = {
	"olivia", "liam", "emma", "noah", "amelia", "oliver", "ava", "elijah",
	"sophia", "lucas", "mia", "mateo", "isabella", "levi", "harper", "ezra",
	"lena", "jonas", "marta", "piotr", "yuki", "haruto", "chloe", "hugo",
};
static const char *const last_names[] = {
	"smith", "johnson", "garcia", "muller", "schmidt", "dubois", "rossi",
	"kowalski", "nilsson", "de vries", "tanaka", "sato", "brown", "wilson",
	"martin", "lopez", "fischer", "weber", "moreau", "bianchi", "novak",
	"andersson", "jansen", "taylor",
};
static const char *const cities[] = {
	"Springfield", "Riverton", "Lakeside", "Fairview", "Greenville",
	"Bristol", "Clinton", "Georgetown", "Salem", "Madison", "Ashland",
	"Oakdale", "Kingston", "Milton", "Newport", "Dover",
};
static const char *const domains[] = {
	"example.com", "mail.example", "corp.example", "shop.test", "post.test",
};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Appends `s` to sb with each letter's case flipped by chance; models
 * sources that do not normalise case. Returns 0 or -1. */
static int append_messy_case(struct strbuf *sb, struct rng *r, const char *s,
			     bool messy)
{
	size_t n = strlen(s);

	if (sb_reserve(sb, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (messy && c >= 'a' && c <= 'z' && rng_chance(r, 300))
			c = (char)(c - 'a' + 'A');
		sb->data[sb->len++] = c;
	}
	sb->data[sb->len] = '\0';
	return 0;
}

/* Appends one CSV line for customer `id`, with realistic defects at low
 * rates: stray spaces, mixed case, bad emails, out-of-range ages,
 * unparsable balances, unknown countries, impossible dates, missing fields
 * and duplicates of a recent customer's email. Returns 0 or -1. */
static int generate_line(struct strbuf *sb, struct rng *r, uint64_t id,
			 const char *recent_email)
{
	const char *first = first_names[rng_below(r, COUNT_OF(first_names))];
	const char *last = last_names[rng_below(r, COUNT_OF(last_names))];
	const char *pad = rng_chance(r, 20) ? "  " : "";
	bool messy = rng_chance(r, 300);
	int age = 18 + (int)rng_below(r, 70);
	double balance = exp((double)rng_below(r, 1000000) / 1000000.0 * 11.0) - 1.0;
	const char *country = countries[rng_below(r, NCOUNTRIES)];
	unsigned year = 2005 + rng_below(r, 19);
	unsigned month = 1 + rng_below(r, 12);
	unsigned day = 1 + rng_below(r, 28);

	if (rng_chance(r, 10))
		age = rng_chance(r, 500) ? 7 : 142;
	if (rng_chance(r, 5))
		country = "XX";
	if (rng_chance(r, 5)) {
		month = 2;
		day = 30;
	}
	if (rng_chance(r, 2)) /* malformed: a field is missing */
		return sb_appendf(sb, "%" PRIu64 ",%s %s,%d,%.2f\n", id, first,
				  last, age, balance);

	if (sb_appendf(sb, "%" PRIu64 ",%s%s %s%s,", id, pad, first, last, pad) != 0)
		return -1;
	if (recent_email && rng_chance(r, 10)) {
		if (sb_appendf(sb, "%s", recent_email) != 0)
			return -1;
	} else if (rng_chance(r, 8)) {
		if (sb_appendf(sb, "%s.%s.example.com", first, last) != 0)
			return -1; /* no '@' */
	} else {
		if (append_messy_case(sb, r, first, messy) != 0 ||
		    sb_appendf(sb, ".") != 0 ||
		    append_messy_case(sb, r, last, messy) != 0)
			return -1;
		if (sb_appendf(sb, "%u", rng_below(r, 10000)) != 0)
			return -1;
		if (rng_chance(r, 50) &&
		    sb_appendf(sb, "+promo%u", rng_below(r, 100)) != 0)
			return -1;
		if (sb_appendf(sb, "@%s", domains[rng_below(r, COUNT_OF(domains))]) != 0)
			return -1;
	}
	if (rng_chance(r, 5))
		return sb_appendf(sb, ",%d,n/a,%s,%s,%04u-%02u-%02u\n", age,
				  country, cities[rng_below(r, COUNT_OF(cities))],
				  year, month, day);
	return sb_appendf(sb, ",%d,%.2f,%s,%s,%04u-%02u-%02u\n", age, balance,
			  country, cities[rng_below(r, COUNT_OF(cities))], year,
			  month, day);
}

/* Copies the email field of the line starting at sb[line_start] into
 * out[outsz] and returns out, or NULL if there is none or it does not fit.
 * Used to plant duplicates. */
static const char *last_email(const struct strbuf *sb, size_t line_start,
			      char *out, size_t outsz)
{
	const char *p = sb->data + line_start;
	const char *comma1 = memchr(p, ',', sb->len - line_start);
	const char *comma2, *end;

	if (!comma1)
		return NULL;
	comma2 = memchr(comma1 + 1, ',', (size_t)(sb->data + sb->len - comma1 - 1));
	if (!comma2)
		return NULL;
	end = memchr(comma2 + 1, ',', (size_t)(sb->data + sb->len - comma2 - 1));
	if (!end || (size_t)(end - comma2 - 1) >= outsz)
		return NULL;
	memcpy(out, comma2 + 1, (size_t)(end - comma2 - 1));
	out[end - comma2 - 1] = '\0';
	return out;
}

/* Generates `n` CSV lines (after a header) into *sb. Returns 0 or -1. */
static int generate_csv(size_t n, uint64_t seed, struct strbuf *sb)
{
	ETL_OP_SCOPE("generate_csv");
	struct rng r = { seed };
	char recent[64];
	const char *recent_email = NULL;

	/* About 110 bytes a line; one reservation avoids most regrowth. */
	if (sb_reserve(sb, n * 112 + 64) != 0)
		return -1;
	if (sb_appendf(sb, "id,name,email,age,balance,country,city,signup_date\n") != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t start = sb->len;

		if (generate_line(sb, &r, 1000000 + i, recent_email) != 0)
			return -1;
		if (rng_chance(&r, 100))
			recent_email = last_email(sb, start, recent, sizeof(recent));
	}
	return 0;
}

/* Copies [s, s+len) into dst[dstsz] with a NUL. Returns false (leaving dst
 * empty) if it does not fit. */
static bool copy_field(char *dst, size_t dstsz, const char *s, size_t len)
{
	if (len >= dstsz) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

/* Parses a decimal number from a field that is not NUL-terminated. Returns
 * NAN if the whole field is not a number. */
static double field_to_double(const char *s, size_t len)
{
	char tmp[32];
	char *end;
	double v;

	if (len == 0 || len >= sizeof(tmp))
		return NAN;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	v = strtod(tmp, &end);
	return *end ? NAN : v;
}

/* Parses one CSV line of exactly 8 fields into *c. Returns false for a
 * malformed line (wrong field count, bad id). Bad values inside well-formed
 * lines are kept for validate to judge. */
static bool parse_line(const char *line, size_t len, struct customer *c)
{
	const char *f[8];
	size_t fl[8];
	size_t nf = 0;
	const char *p = line, *end = line + len;
	double v;
	unsigned y, m, d;
	char date[16];

	while (nf < 8) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		f[nf] = p;
		fl[nf++] = (size_t)(stop - p);
		if (!comma)
			break;
		p = comma + 1;
	}
	if (nf != 8 || memchr(f[7], ',', fl[7]))
		return false;

	memset(c, 0, sizeof(*c));
	v = field_to_double(f[0], fl[0]);
	if (!(v >= 1))
		return false;
	c->id = (uint64_t)v;
	copy_field(c->name, sizeof(c->name), f[1], fl[1]);
	copy_field(c->email, sizeof(c->email), f[2], fl[2]);
	v = field_to_double(f[3], fl[3]);
	c->age = (v >= 0 && v < 1000) ? (int32_t)v : -1;
	c->balance = field_to_double(f[4], fl[4]);
	copy_field(c->country, sizeof(c->country), f[5], fl[5]);
	copy_field(c->city, sizeof(c->city), f[6], fl[6]);
	if (copy_field(date, sizeof(date), f[7], fl[7]) &&
	    sscanf(date, "%4u-%2u-%2u", &y, &m, &d) == 3 && y < 10000 &&
	    m < 256 && d < 256) {
		c->year = (uint16_t)y;
		c->month = (uint8_t)m;
		c->day = (uint8_t)d;
	}
	return true;
}

/* Parses CSV text (with a header line) into ds, which it grows. Counts
 * dropped lines in *malformed. Returns 0 or -1 (ENOMEM). */
static int parse_csv(const char *text, size_t len, struct dataset *ds,
		     size_t *malformed)
{
	const char *p = text, *end = text + len;
	const char *nl = memchr(p, '\n', len);
	int rc = -1;

	ETL_OP_START("parse_csv");
	if (!nl) { /* no header: nothing to parse */
		rc = 0;
		goto out;
	}
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (ds->n == ds->cap) {
			size_t cap = ds->cap ? ds->cap * 2 : 1024;
			struct customer *rows = realloc(ds->rows, cap * sizeof(*rows));

			if (!rows)
				goto out;
			ds->rows = rows;
			ds->cap = cap;
		}
		if (parse_line(p, (size_t)(nl - p), &ds->rows[ds->n]))
			ds->n++;
		else
			(*malformed)++;
	}
	rc = 0;
out:
	ETL_OP_END_N("parse_csv", ds->n);
	return rc;
}

/* Extract: generates `records` CSV lines and parses them into ds, which the
 * caller owns afterwards (also on failure). The CSV text is freed here, so
 * only the dataset outlives the operation. Returns 0 or -1. */
static int extract(size_t records, uint64_t seed, struct dataset *ds,
		   struct round_stats *st)
{
	struct strbuf csv = { 0 };
	int rc = -1;

	ETL_OP_START("extract");
	if (generate_csv(records, seed, &csv) != 0) {
		fprintf(stderr, "etl_demo: extract: out of memory generating CSV\n");
		goto out;
	}
	if (parse_csv(csv.data, csv.len, ds, &st->malformed) != 0) {
		fprintf(stderr, "etl_demo: extract: out of memory parsing CSV\n");
		goto out;
	}
	st->generated = records;
	st->parsed = ds->n;
	rc = 0;
out:
	sb_free(&csv);
	ETL_OP_END("extract");
	return rc;
}

/* ---- transform: one batch -------------------------------------------------- */

struct batch_result {
	size_t valid, rejected, duplicates;
	size_t reasons[REJ_COUNT];
	bool failed; /* ran out of memory; the batch's rows are unchanged */
};

/* Removes leading and trailing spaces in place. */
static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && s[n - 1] == ' ')
		n--;
	while (i < n && s[i] == ' ')
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

static bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(unsigned y, unsigned m, unsigned d)
{
	static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30,
						 31, 31, 30, 31, 30, 31 };

	if (y < 1990 || y > 2030 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (unsigned)(m == 2 && is_leap(y));
}

/* An email is local@domain.tld with a non-empty local part, one '@' and a
 * dot in the domain that is neither first nor last. */
static bool valid_email(const char *e)
{
	const char *at = strchr(e, '@');
	const char *dot;

	if (!at || at == e || strchr(at + 1, '@'))
		return false;
	dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] != '\0';
}

static bool known_country(const char *cc)
{
	for (size_t i = 0; i < NCOUNTRIES; i++)
		if (strcmp(cc, countries[i]) == 0)
			return true;
	return false;
}

/* Classifies one record; returns REJ_NONE if it is loadable. */
static enum reject_reason check_record(const struct customer *c)
{
	if (c->name[0] == '\0')
		return REJ_NAME;
	if (!valid_email(c->email))
		return REJ_EMAIL;
	if (c->age < 18 || c->age > 120)
		return REJ_AGE;
	if (!isfinite(c->balance) || c->balance < 0)
		return REJ_BALANCE;
	if (!known_country(c->country))
		return REJ_COUNTRY;
	if (!valid_date(c->year, c->month, c->day))
		return REJ_DATE;
	return REJ_NONE;
}

/* Validate: trims text fields, sets F_VALID and the reject reason of each
 * row, and counts them into *res. */
static void validate(struct customer *rows, size_t n, struct batch_result *res)
{
	ETL_OP_SCOPE("validate");

	for (size_t i = 0; i < n; i++) {
		struct customer *c = &rows[i];

		trim(c->name);
		trim(c->email);
		trim(c->city);
		c->reject = (uint8_t)check_record(c);
		c->flags = c->reject == REJ_NONE ? F_VALID : 0;
		res->reasons[c->reject]++;
		if (c->reject == REJ_NONE)
			res->valid++;
		else
			res->rejected++;
	}
}

/* 64-bit FNV-1a. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Writes the canonical form of email into out[outsz]: lower case, with any
 * "+tag" removed from the local part. email fits (both are 64 bytes). */
static void normalise_email(const char *email, char *out, size_t outsz)
{
	size_t o = 0;
	bool in_tag = false, in_domain = false;

	for (const char *p = email; *p && o + 1 < outsz; p++) {
		char c = *p;

		if (c == '@') {
			in_domain = true;
			in_tag = false;
		} else if (c == '+' && !in_domain) {
			in_tag = true;
		}
		if (in_tag)
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[o++] = c;
	}
	out[o] = '\0';
}

/* Capitalises the first letter of each word, lower-cases the rest. */
static void title_case(char *s)
{
	bool start = true;

	for (; *s; s++) {
		if (*s == ' ') {
			start = true;
			continue;
		}
		if (start && *s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		else if (!start && *s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
		start = false;
	}
}

/* Loyalty score: grows with the log of the balance and with tenure. */
static double score_of(const struct customer *c)
{
	double tenure = 2024.0 - c->year + (12.0 - c->month) / 12.0;

	return log1p(c->balance) * (1.0 + tenure / 10.0) *
	       (c->age >= 65 ? 1.1 : 1.0);
}

static enum segment segment_of(double balance)
{
	if (balance >= 20000)
		return SEG_PLATINUM;
	if (balance >= 2000)
		return SEG_GOLD;
	if (balance >= 200)
		return SEG_SILVER;
	return SEG_BASIC;
}

/* Enrich: normalises emails (through a per-batch scratch table), hashes them
 * into keys, title-cases names, computes score and segment of valid rows.
 * Returns 0, or -1 if the scratch table could not be allocated. */
static int enrich(struct customer *rows, size_t n)
{
	ETL_OP_SCOPE("enrich");
	char (*norm)[64] = malloc(n * sizeof(*norm));

	if (!norm)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rows[i].flags & F_VALID)
			normalise_email(rows[i].email, norm[i], sizeof(norm[i]));
	for (size_t i = 0; i < n; i++) {
		struct customer *c = &rows[i];

		if (!(c->flags & F_VALID))
			continue;
		memcpy(c->email, norm[i], sizeof(c->email));
		c->key = fnv1a(c->email);
		title_case(c->name);
		c->score = score_of(c);
		c->segment = (uint8_t)segment_of(c->balance);
	}
	free(norm);
	return 0;
}

struct key_index {
	uint64_t key;
	uint64_t id;
	size_t row;
};

static int cmp_key_index(const void *a, const void *b)
{
	const struct key_index *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Marks every valid row whose key equals that of a valid row with a lower
 * id as F_DUPLICATE (and no longer F_VALID). Returns the number marked, or
 * -1 if the index could not be allocated. */
static long mark_duplicates(struct customer *rows, size_t n)
{
	struct key_index *idx = malloc(n * sizeof(*idx));
	size_t m = 0;
	long dups = 0;

	if (!idx)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (rows[i].flags & F_VALID)
			idx[m++] = (struct key_index){ rows[i].key, rows[i].id, i };
	qsort(idx, m, sizeof(*idx), cmp_key_index);
	for (size_t i = 1; i < m; i++) {
		if (idx[i].key == idx[i - 1].key) {
			rows[idx[i].row].flags = F_DUPLICATE;
			dups++;
		}
	}
	free(idx);
	return dups;
}

/* Dedupe: drops repeated customers inside one batch. Returns 0 or -1. */
static int dedupe(struct customer *rows, size_t n, struct batch_result *res)
{
	ETL_OP_SCOPE("dedupe");
	long dups = mark_duplicates(rows, n);

	if (dups < 0)
		return -1;
	res->duplicates += (size_t)dups;
	res->valid -= (size_t)dups;
	return 0;
}

/* Transforms rows[0..n) as one unit: works on a staging copy and commits it
 * back only if every step succeeded, so a failed batch leaves the dataset
 * as it was. Sets res->failed on allocation failure. */
static void transform_batch(struct customer *rows, size_t n,
			    struct batch_result *res)
{
	struct customer *staging;

	ETL_OP_START("transform_batch");
	staging = malloc(n * sizeof(*staging));
	if (!staging) {
		res->failed = true;
		goto out;
	}
	memcpy(staging, rows, n * sizeof(*staging));
	validate(staging, n, res);
	if (enrich(staging, n) != 0 || dedupe(staging, n, res) != 0) {
		res->failed = true;
		goto out;
	}
	memcpy(rows, staging, n * sizeof(*rows));
out:
	free(staging);
	ETL_OP_END_N("transform_batch", n);
}

/* ---- transform: batches and workers ---------------------------------------- */

struct transform_job {
	struct customer *rows;
	size_t nrows;
	size_t batch_size;
	size_t nbatches;
	atomic_size_t next;          /* next batch to claim */
	struct batch_result *results; /* one per batch; each written by one thread */
};

/* Claims and transforms batches until none are left. Safe to run on any
 * number of threads at once: batches are disjoint row ranges. */
static void run_batches(struct transform_job *job)
{
	for (;;) {
		size_t b = atomic_fetch_add(&job->next, 1);
		size_t first, n;

		if (b >= job->nbatches)
			return;
		first = b * job->batch_size;
		n = job->nrows - first < job->batch_size ? job->nrows - first
							  : job->batch_size;
		transform_batch(job->rows + first, n, &job->results[b]);
	}
}

static void *transform_worker(void *arg)
{
	run_batches(arg);
	return NULL;
}

/* Runs every batch, on `threads` worker threads or (threads == 1) on the
 * calling thread. Returns 0, or -1 if a thread could not be started (the
 * started ones are joined). */
static int run_transform_job(struct transform_job *job, unsigned threads)
{
	pthread_t tids[MAX_THREADS];
	unsigned started = 0;
	int rc = 0;

	if (threads <= 1) {
		run_batches(job);
		return 0;
	}
	for (; started < threads; started++) {
		int err = pthread_create(&tids[started], NULL, transform_worker, job);

		if (err) {
			fprintf(stderr, "etl_demo: transform: cannot start worker thread: %s\n",
				strerror(err));
			rc = -1;
			break;
		}
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Aggregate: drops customers repeated across batches, then computes the
 * totals per country and segment and the median balance of loadable rows.
 * Returns 0 or -1 (ENOMEM). */
static int aggregate(struct dataset *ds, struct round_stats *st)
{
	ETL_OP_SCOPE("aggregate");
	double totals[NCOUNTRIES][SEG_COUNT] = { { 0 } };
	double *balances = NULL;
	long dups;
	size_t m = 0;
	int rc = -1;

	dups = mark_duplicates(ds->rows, ds->n);
	if (dups < 0)
		goto out;
	st->duplicates += (size_t)dups;
	st->valid -= (size_t)dups;

	balances = malloc((ds->n ? ds->n : 1) * sizeof(*balances));
	if (!balances)
		goto out;
	for (size_t i = 0; i < ds->n; i++) {
		const struct customer *c = &ds->rows[i];

		if (!(c->flags & F_VALID))
			continue;
		for (size_t k = 0; k < NCOUNTRIES; k++) {
			if (strcmp(c->country, countries[k]) == 0) {
				totals[k][c->segment] += c->balance;
				break;
			}
		}
		balances[m++] = c->balance;
	}
	qsort(balances, m, sizeof(*balances), cmp_double);
	st->median_balance = m ? balances[m / 2] : 0.0;
	rc = 0;
out:
	free(balances);
	return rc;
}

/* Transform: validates, enriches and dedupes ds in batches of batch_size,
 * then aggregates. Fills the validity counters of *st. Returns 0 or -1. */
static int transform(struct dataset *ds, const struct options *o,
		     struct round_stats *st)
{
	struct transform_job job = {
		.rows = ds->rows,
		.nrows = ds->n,
		.batch_size = o->batch_size,
		.nbatches = (ds->n + o->batch_size - 1) / o->batch_size,
	};
	int rc = -1;

	ETL_OP_START("transform");
	atomic_init(&job.next, 0);
	job.results = calloc(job.nbatches ? job.nbatches : 1, sizeof(*job.results));
	if (!job.results) {
		fprintf(stderr, "etl_demo: transform: out of memory\n");
		goto out;
	}
	if (run_transform_job(&job, o->threads) != 0)
		goto out;
	for (size_t b = 0; b < job.nbatches; b++) {
		const struct batch_result *r = &job.results[b];

		if (r->failed) {
			fprintf(stderr, "etl_demo: transform: batch %zu: out of memory\n", b);
			goto out;
		}
		st->valid += r->valid;
		st->rejected += r->rejected;
		st->duplicates += r->duplicates;
		for (int k = 0; k < REJ_COUNT; k++)
			st->reasons[k] += r->reasons[k];
	}
	if (aggregate(ds, st) != 0) {
		fprintf(stderr, "etl_demo: transform: out of memory aggregating\n");
		goto out;
	}
	rc = 0;
out:
	free(job.results);
	ETL_OP_END("transform");
	return rc;
}

/* ---- load ------------------------------------------------------------------ */

#define CHUNK_SIZE (64 * 1024)

/* Writes all of buf[0..len) to fd, retrying short writes and EINTR.
 * Returns 0 or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Formats one output row at chunk[*used..CHUNK_SIZE). Returns false, with
 * nothing appended, if it does not fit. */
static bool format_row(char *chunk, size_t *used, const struct customer *c)
{
	size_t room = CHUNK_SIZE - *used;
	int n = snprintf(chunk + *used, room,
			 "%" PRIu64 ",%016" PRIx64 ",%s,%s,%d,%.2f,%s,%s,%s,%.3f\n",
			 c->id, c->key, c->name, c->email, c->age, c->balance,
			 c->country, c->city, segment_names[c->segment], c->score);

	if (n < 0 || (size_t)n >= room)
		return false;
	*used += (size_t)n;
	return true;
}

/* Write rows: writes a header and every loadable row of ds to fd in
 * CHUNK_SIZE write() calls. Sets *rows and *bytes to what was written.
 * Returns 0 or -1 with errno set. */
static int write_rows(int fd, const struct dataset *ds, size_t *rows,
		      uint64_t *bytes)
{
	static const char header[] =
		"id,key,name,email,age,balance,country,city,segment,score\n";
	char *chunk = malloc(CHUNK_SIZE);
	size_t used = sizeof(header) - 1;
	int rc = -1;

	ETL_OP_START("write_rows");
	*rows = 0;
	*bytes = 0;
	if (!chunk)
		goto out;
	memcpy(chunk, header, used);
	for (size_t i = 0; i < ds->n; i++) {
		const struct customer *c = &ds->rows[i];

		if (!(c->flags & F_VALID))
			continue;
		if (!format_row(chunk, &used, c)) {
			if (write_all(fd, chunk, used) != 0)
				goto out;
			*bytes += used;
			used = 0;
			if (!format_row(chunk, &used, c)) {
				errno = EOVERFLOW;
				goto out;
			}
		}
		(*rows)++;
	}
	if (write_all(fd, chunk, used) != 0)
		goto out;
	*bytes += used;
	rc = 0;
out:
	free(chunk);
	ETL_OP_END_N("write_rows", *rows);
	return rc;
}

/* Sync: flushes fd to storage if it is a regular file (devices such as
 * /dev/null do not support fsync). Returns 0 or -1 with errno set. */
static int sync_output(int fd)
{
	ETL_OP_SCOPE("sync");
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return -1;
	if (!S_ISREG(sb.st_mode))
		return 0;
	return fsync(fd);
}

/* Opens the load target: o->output (truncated), or a new temporary file
 * whose malloc'd path is stored in *tmp_path for the caller to remove and
 * free. Returns an fd, or -1 after printing why. */
static int open_output(const struct options *o, char **tmp_path)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	*tmp_path = NULL;
	if (o->output) {
		fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			fprintf(stderr, "etl_demo: load: cannot open %s: %s\n",
				o->output, strerror(errno));
		return fd;
	}
	if (!dir || !*dir)
		dir = "/tmp";
	if (asprintf(tmp_path, "%s/etl_demo.XXXXXX", dir) < 0) {
		*tmp_path = NULL;
		fprintf(stderr, "etl_demo: load: out of memory\n");
		return -1;
	}
	fd = mkostemp(*tmp_path, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "etl_demo: load: cannot create a file in %s: %s\n",
			dir, strerror(errno));
		free(*tmp_path);
		*tmp_path = NULL;
	}
	return fd;
}

/* Load: writes the loadable rows of ds to the target, syncs it, removes it
 * if it was temporary, and frees the dataset (on every path), so that the
 * memory extract took is given back inside this operation. Returns 0 or
 * -1. */
static int load(struct dataset *ds, const struct options *o,
		struct round_stats *st)
{
	char *tmp_path = NULL;
	size_t rows = 0;
	uint64_t bytes = 0;
	int fd, rc = -1;

	ETL_OP_START("load");
	fd = open_output(o, &tmp_path);
	if (fd < 0)
		goto out;
	if (write_rows(fd, ds, &rows, &bytes) != 0) {
		fprintf(stderr, "etl_demo: load: writing %s: %s\n",
			tmp_path ? tmp_path : o->output, strerror(errno));
		goto out;
	}
	if (sync_output(fd) != 0) {
		fprintf(stderr, "etl_demo: load: syncing %s: %s\n",
			tmp_path ? tmp_path : o->output, strerror(errno));
		goto out;
	}
	st->rows_written = rows;
	st->bytes_written = bytes;
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		fprintf(stderr, "etl_demo: load: closing %s: %s\n",
			tmp_path ? tmp_path : o->output, strerror(errno));
		rc = -1;
	}
	if (tmp_path) {
		unlink(tmp_path);
		free(tmp_path);
	}
	dataset_free(ds);
	ETL_OP_END_N("load", rows);
	return rc;
}

/* ---- rounds -------------------------------------------------------------- */

/* Runs extract, transform and load once on data from `seed`. Fills *st.
 * Returns 0 or -1 (the cause has been printed). Holds no memory after. */
static int run_pipeline(const struct options *o, uint64_t seed,
			struct round_stats *st)
{
	ETL_OP_SCOPE("pipeline");
	struct dataset ds = { 0 };
	int rc = -1;

	if (extract(o->records, seed, &ds, st) != 0)
		goto out;
	if (transform(&ds, o, st) != 0)
		goto out;
	rc = load(&ds, o, st); /* frees ds */
out:
	dataset_free(&ds);
	return rc;
}

/* Sleeps for ms milliseconds, resuming after signals. */
static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_stats(struct round_stats *sum, const struct round_stats *r)
{
	sum->generated += r->generated;
	sum->malformed += r->malformed;
	sum->parsed += r->parsed;
	sum->valid += r->valid;
	sum->rejected += r->rejected;
	sum->duplicates += r->duplicates;
	sum->rows_written += r->rows_written;
	sum->bytes_written += r->bytes_written;
	sum->median_balance = r->median_balance; /* last round's */
	for (int k = 0; k < REJ_COUNT; k++)
		sum->reasons[k] += r->reasons[k];
}

int main(int argc, char **argv)
{
	struct options o;
	struct round_stats total = { 0 };
	unsigned done = 0;
	double t0;
	int rc = 1;

	switch (parse_options(argc, argv, &o)) {
	case PARSE_HELP:
		print_usage(stdout);
		return 0;
	case PARSE_BAD:
		return 2;
	case PARSE_OK:
		break;
	}

	/* A fixed mmap threshold (glibc otherwise raises it after each large
	 * free) keeps large buffers mmap'd, so every round allocates and gives
	 * back memory the same way and the tracer sees comparable deltas. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);

	fprintf(stderr, "etl_demo: pid %ld, %zu records x %u rounds\n",
		(long)getpid(), o.records, o.rounds);
	t0 = now_seconds();
	for (; done < o.rounds; done++) {
		struct round_stats st = { 0 };

		if (done > 0 && o.pause_ms > 0)
			sleep_ms(o.pause_ms);
		if (run_pipeline(&o, o.seed + done * 0x9e3779b97f4a7c15ULL, &st) != 0)
			goto out; /* the cause has been printed */
		add_stats(&total, &st);
	}
	rc = 0;
out:
	fprintf(stderr,
		"etl_demo: %s after %u/%u rounds in %.2f s: %zu records parsed "
		"(%zu malformed), %zu loaded, %zu rejected, %zu duplicates, "
		"%.1f MB written, median balance %.2f\n",
		rc == 0 ? "done" : "stopped", done, o.rounds, now_seconds() - t0,
		total.parsed, total.malformed, total.rows_written, total.rejected,
		total.duplicates, (double)total.bytes_written / 1e6,
		total.median_balance);
	return rc;
}
