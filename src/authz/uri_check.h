/* URIs clients ask MLflow to store and later read (artifact_location on
 * experiments/create, source and run_link on model-versions/create): local
 * paths and file: URIs, '..', '#', and schemes outside an allow-list are
 * refused (MLflow's history of LFI/SSRF CVEs, mlflow-api.md §4.1). Pure. */
#ifndef MG_URI_CHECK_H
#define MG_URI_CHECK_H
#include <stddef.h>

/* The default allow-list, comma-separated. */
/* http(s) is left out: MLflow fetches such URIs itself (SSRF, mlflow-api.md
 * §4.1); add it to authz.uri_schemes where an HTTP artifact store is used. */
#define URI_CHECK_DEFAULT_SCHEMES "mlflow-artifacts,runs,models,s3,gs,wasbs,abfss,hdfs"

/* Returns 0 when uri is acceptable under schemes (comma-separated), or
 * -EINVAL with *why. Decodes percent-escapes (repeatedly) before checking. */
int uri_check(const char *uri, size_t len, const char *schemes, const char **why);

#endif
