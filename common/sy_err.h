/* sy_err.h - error codes shared by every Switchyard module.
 *
 * Functions that can fail return 0 or a negative code: either -errno or one of the SY_E*
 * values below, which live in a reserved range so they never collide with errno values.
 * sy_strerror() names both. */
#ifndef SY_ERR_H
#define SY_ERR_H

enum {
	SY_EBASE = -30900,
	SY_EINVAL = SY_EBASE, /* bad input (a field, a message, a config value) */
	SY_ENOTFOUND,         /* no such entity */
	SY_EEXIST,            /* entity already exists */
	SY_ETOOBIG,           /* over a hard size cap */
	SY_EPROTO,            /* peer message failed validation */
	SY_EVERSION,          /* peer speaks another protocol version */
	SY_ESTORE,            /* LMDB failure */
	SY_ECRYPTO,           /* encryption or decryption failed */
	SY_ENOKEK,            /* no key-encryption key configured */
	SY_EFORBIDDEN,        /* caller's scope does not allow this */
	SY_ECONFLICT,         /* state forbids it (e.g. org still has keys) */
	SY_ELAST
};

/* Human-readable text for a negative code (SY_E* or -errno). */
const char *sy_strerror(int code);

#endif
