/* sy_restrict.c - the restriction fields of an ApiKey, in JSON. */
#include "sy_restrict.h"
#include "sy_json.h"

json_t *sy_restrict_max_price_json(const Sy__MaxPrice *mp)
{
	if (!mp)
		return json_null();
	json_t *o = json_object();
	if (o && mp->has_prompt)
		json_object_set_new(o, "prompt", json_real(mp->prompt));
	if (o && mp->has_completion)
		json_object_set_new(o, "completion", json_real(mp->completion));
	if (o && mp->has_request)
		json_object_set_new(o, "request", json_real(mp->request));
	return o;
}

json_t *sy_restrict_json(const Sy__ApiKey *k)
{
	json_t *prefs = k->provider_prefs ? json_loads(k->provider_prefs, 0, NULL) : NULL;
	return json_pack(
	    "{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "allowed_models",
	    sy_json_strings(k->allowed_models, k->n_allowed_models), "allowed_providers",
	    sy_json_strings(k->allowed_providers, k->n_allowed_providers), "ignored_providers",
	    sy_json_strings(k->ignored_providers, k->n_ignored_providers), "allowed_ips",
	    sy_json_strings(k->allowed_ips, k->n_allowed_ips), "allowed_referrers",
	    sy_json_strings(k->allowed_referrers, k->n_allowed_referrers), "max_price",
	    sy_restrict_max_price_json(k->max_price), "provider", prefs ? prefs : json_null());
}
