/* cp_row.h - the ledger's rows in LMDB, versioned.
 *
 * struct cp_key_usage (key_usage), cp_org_money (org_money) and cp_lease (leases) are stored
 * as the LedgerKeyUsage, LedgerOrgMoney and LedgerLease messages of proto/switchyard.proto:
 * adding a field is adding an optional field, and rows written before it read it as 0.
 *
 * Layout 1 stored the structs themselves (memcpy, host-endian). cp_store_open re-encodes such
 * a store's rows once, in its opening transaction, and records the layout in meta/layout;
 * cp_row_upgrade is the conversion of one row. Nothing here touches the store. */
#ifndef CP_ROW_H
#define CP_ROW_H

#include "cp_ledger.h"
#include "cp_money.h"
#include "cp_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The layout cp_store_open leaves a store in. */
#define CP_ROW_LAYOUT 2
/* Room for any encoded row: the structs are fixed-size, so their encodings are bounded (about
 * 180 bytes today; the encoders assert it). */
#define CP_ROW_MAX 512

/* Encode into buf; returns the encoded length (0 for an all-zero row: a valid empty row). */
size_t cp_row_key_usage_encode(const struct cp_key_usage *u, uint8_t buf[CP_ROW_MAX]);
size_t cp_row_org_money_encode(const struct cp_org_money *m, uint8_t buf[CP_ROW_MAX]);
size_t cp_row_lease_encode(const struct cp_lease *l, uint8_t buf[CP_ROW_MAX]);

/* Decode a stored row into *out (fields absent from it read as 0). 0, or SY_ESTORE for a
 * row that is not the message or does not fit the struct (logged). */
int cp_row_key_usage_decode(const void *v, size_t len, struct cp_key_usage *out);
int cp_row_org_money_decode(const void *v, size_t len, struct cp_org_money *out);
int cp_row_lease_decode(const void *v, size_t len, struct cp_lease *out);

/* True for the tables whose rows are versioned here. */
bool cp_row_versioned(enum cp_table tb);
/* Re-encode a layout-1 row of table tb into buf; *outlen receives its length. 0, or
 * SY_ESTORE when the row is not of that table's layout-1 size. */
int cp_row_upgrade(enum cp_table tb, const void *v, size_t len, uint8_t buf[CP_ROW_MAX],
                   size_t *outlen);

#endif
