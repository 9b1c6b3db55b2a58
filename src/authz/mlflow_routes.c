/* The MLflow route table (mlflow-api.md §1.3-1.6, §2.4). One row per route;
 * adding an MLflow endpoint means adding a row. Levels follow MLflow's
 * basic-auth validators: reads need READ, changes EDIT, deletes MANAGE. */
#include "authz/mlflow_routes.h"
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define V2 (1u << 2)
#define V3 (1u << 3)
#define R(m, p, v, res, src, f, lvl, rpc) { m, p, v, res, src, f, lvl, rpc, 0, NULL }
#define RX(m, p, v, res, src, f, lvl, rpc, flags, extra) { m, p, v, res, src, f, lvl, rpc, flags, extra }

/* linking a dataset to experiments needs EDIT on those too (as MLflow's own
 * auth app asks), or anyone could pull a dataset into an experiment they
 * do not control */
static const struct route_extra add_experiments[] = {
	{ RES_EXPERIMENT_LIST, "experiment_ids", LEVEL_EDIT, true },
	{ RES_NONE, NULL, 0, false },
};
/* an optimization job registers a new version of its source prompt and
 * reads its training dataset */
static const struct route_extra prompt_job[] = {
	{ RES_PROMPT_URI, "source_prompt_uri", LEVEL_EDIT, true },
	{ RES_DATASET, "config.dataset_id", LEVEL_READ, false },
	{ RES_NONE, NULL, 0, false },
};

static const struct mlflow_route table[] = {
	/* experiments */
	R("GET", "/mlflow/experiments/get", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "GetExperiment"),
	R("GET", "/mlflow/experiments/get-by-name", V2, RES_EXPERIMENT_NAME, ID_PARAMS, "experiment_name", LEVEL_READ, "GetExperimentByName"),
	R("POST", "/mlflow/experiments/create", V2, RES_NONE, ID_PARAMS, NULL, LEVEL_READ, "CreateExperiment"),
	R("POST", "/mlflow/experiments/search", V2, RES_NONE, ID_PARAMS, NULL, LEVEL_READ, "SearchExperiments"),
	R("GET", "/mlflow/experiments/search", V2, RES_NONE, ID_PARAMS, NULL, LEVEL_READ, "SearchExperiments"),
	R("POST", "/mlflow/experiments/delete", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_MANAGE, "DeleteExperiment"),
	R("POST", "/mlflow/experiments/restore", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_MANAGE, "RestoreExperiment"),
	R("POST", "/mlflow/experiments/update", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "UpdateExperiment"),
	R("POST", "/mlflow/experiments/set-experiment-tag", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "SetExperimentTag"),
	R("POST", "/mlflow/experiments/delete-experiment-tag", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "DeleteExperimentTag"),
	R("POST", "/mlflow/experiments/search-datasets", V2, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_READ, "SearchDatasets"),
	/* runs, metrics, params, tags */
	R("POST", "/mlflow/runs/create", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "CreateRun"),
	R("POST", "/mlflow/runs/update", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "UpdateRun"),
	R("POST", "/mlflow/runs/delete", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_MANAGE, "DeleteRun"),
	R("POST", "/mlflow/runs/restore", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_MANAGE, "RestoreRun"),
	R("GET", "/mlflow/runs/get", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_READ, "GetRun"),
	R("POST", "/mlflow/runs/search", V2, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_READ, "SearchRuns"),
	R("POST", "/mlflow/runs/log-metric", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "LogMetric"),
	R("POST", "/mlflow/runs/log-parameter", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "LogParam"),
	R("POST", "/mlflow/runs/set-tag", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "SetTag"),
	R("POST", "/mlflow/runs/delete-tag", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "DeleteTag"),
	R("POST", "/mlflow/runs/log-batch", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "LogBatch"),
	R("POST", "/mlflow/runs/log-model", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "LogModel"),
	R("POST", "/mlflow/runs/log-inputs", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "LogInputs"),
	R("POST", "/mlflow/runs/outputs", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "LogOutputs"),
	R("GET", "/mlflow/metrics/get-history", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_READ, "GetMetricHistory"),
	R("GET", "/mlflow/metrics/get-history-bulk-interval", V2, RES_RUN_LIST, ID_PARAMS, "run_ids", LEVEL_READ, "GetMetricHistoryBulkInterval"),
	R("GET", "/mlflow/metrics/get-history-bulk", V2, RES_RUN_LIST, ID_QUERY, "run_id", LEVEL_READ, "GetMetricHistoryBulk"),
	R("GET", "/mlflow/artifacts/list", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_READ, "ListArtifacts"),
	R("POST", "/mlflow/artifacts/presigned-upload-url", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "GetPresignedUploadUrl"),
	R("POST", "/mlflow/artifacts/presigned-download-url", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_READ, "GetPresignedDownloadUrl"),
	R("POST", "/mlflow/upload-artifact", V2, RES_RUN, ID_QUERY, "run_uuid", LEVEL_EDIT, "UploadArtifact"),
	R("GET", "/mlflow/get-trace-artifact", V2, RES_TRACE, ID_QUERY, "request_id", LEVEL_READ, "GetTraceArtifact"),
	/* traces (v2 legacy and v3) */
	R("POST", "/mlflow/traces", V2 | V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "StartTrace"),
	R("PATCH", "/mlflow/traces/{request_id}", V2, RES_TRACE, ID_PATH, "request_id", LEVEL_EDIT, "EndTrace"),
	R("GET", "/mlflow/traces/{request_id}/info", V2, RES_TRACE, ID_PATH, "request_id", LEVEL_READ, "GetTraceInfo"),
	R("GET", "/mlflow/traces/{trace_id}", V3, RES_TRACE, ID_PATH, "trace_id", LEVEL_READ, "GetTraceInfoV3"),
	R("GET", "/mlflow/traces/get", V3, RES_TRACE, ID_PARAMS, "trace_id", LEVEL_READ, "GetTrace"),
	R("GET", "/mlflow/traces", V2, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_READ, "SearchTraces"),
	R("POST", "/mlflow/traces/delete-traces", V2 | V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_MANAGE, "DeleteTraces"),
	R("PATCH", "/mlflow/traces/{trace_id}/tags", V2 | V3, RES_TRACE, ID_PATH, "trace_id", LEVEL_EDIT, "SetTraceTag"),
	R("DELETE", "/mlflow/traces/{trace_id}/tags", V2 | V3, RES_TRACE, ID_PATH, "trace_id", LEVEL_EDIT, "DeleteTraceTag"),
	R("POST", "/mlflow/traces/link-to-run", V2, RES_RUN, ID_PARAMS, "run_id", LEVEL_EDIT, "LinkTracesToRun"),
	R("GET", "/mlflow/traces/batchGet", V3, RES_TRACE_LIST, ID_PARAMS, "trace_ids", LEVEL_READ, "BatchGetTraces"),
	R("POST", "/mlflow/traces/batchGetInfos", V3, RES_TRACE_LIST, ID_PARAMS, "trace_ids", LEVEL_READ, "BatchGetTraceInfos"),
	R("POST", "/mlflow/traces/calculate-filter-correlation", V3, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_READ, "CalculateTraceFilterCorrelation"),
	R("POST", "/mlflow/traces/metrics", V3, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_READ, "QueryTraceMetrics"),
	R("POST", "/mlflow/traces/{trace_id}/assessments", V3, RES_TRACE, ID_PATH, "trace_id", LEVEL_EDIT, "CreateAssessment"),
	R("GET", "/mlflow/traces/{trace_id}/assessments/{assessment_id}", V3, RES_TRACE, ID_PATH, "trace_id", LEVEL_READ, "GetAssessment"),
	R("PATCH", "/mlflow/traces/{trace_id}/assessments/{assessment_id}", V3, RES_TRACE, ID_PATH, "trace_id", LEVEL_EDIT, "UpdateAssessment"),
	R("DELETE", "/mlflow/traces/{trace_id}/assessments/{assessment_id}", V3, RES_TRACE, ID_PATH, "trace_id", LEVEL_MANAGE, "DeleteAssessment"),
	/* scorers (3.x): by experiment */
	R("POST", "/mlflow/scorers/register", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "RegisterScorer"),
	R("GET", "/mlflow/scorers/list", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "ListScorers"),
	R("GET", "/mlflow/scorers/versions", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "ListScorerVersions"),
	R("GET", "/mlflow/scorers/get", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "GetScorer"),
	R("DELETE", "/mlflow/scorers/delete", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_MANAGE, "DeleteScorer"),
	/* evaluation datasets (3.x): by the experiments they are linked to; one
	 * linked to none is for administrators (as in MLflow's auth app) */
	RX("POST", "/mlflow/datasets/create", V3, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_EDIT, "CreateDataset", ROUTE_NONEMPTY, NULL),
	RX("POST", "/mlflow/datasets/search", V3, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_READ, "SearchEvaluationDatasets", ROUTE_NONEMPTY, NULL),
	RX("GET", "/mlflow/datasets/search", V3, RES_EXPERIMENT_LIST, ID_PARAMS, "experiment_ids", LEVEL_READ, "SearchEvaluationDatasets", ROUTE_NONEMPTY, NULL),
	R("GET", "/mlflow/datasets/{dataset_id}", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_READ, "GetDataset"),
	R("DELETE", "/mlflow/datasets/{dataset_id}", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_MANAGE, "DeleteDataset"),
	R("PATCH", "/mlflow/datasets/{dataset_id}/tags", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_EDIT, "SetDatasetTags"),
	R("DELETE", "/mlflow/datasets/{dataset_id}/tags/{key}", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_EDIT, "DeleteDatasetTag"),
	R("POST", "/mlflow/datasets/{dataset_id}/records", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_EDIT, "UpsertDatasetRecords"),
	R("GET", "/mlflow/datasets/{dataset_id}/records", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_READ, "GetDatasetRecords"),
	R("DELETE", "/mlflow/datasets/{dataset_id}/records", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_EDIT, "DeleteDatasetRecords"),
	R("GET", "/mlflow/datasets/{dataset_id}/experiment-ids", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_READ, "GetDatasetExperimentIds"),
	RX("POST", "/mlflow/datasets/{dataset_id}/add-experiments", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_EDIT, "AddDatasetToExperiments", 0, add_experiments),
	R("POST", "/mlflow/datasets/{dataset_id}/remove-experiments", V3, RES_DATASET, ID_PATH, "dataset_id", LEVEL_EDIT, "RemoveDatasetFromExperiments"),
	/* issues found in traces (3.x): by experiment */
	R("POST", "/mlflow/issues", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "CreateIssue"),
	R("POST", "/mlflow/issues/search", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "SearchIssues"),
	R("GET", "/mlflow/issues/{issue_id}", V3, RES_ISSUE, ID_PATH, "issue_id", LEVEL_READ, "GetIssue"),
	R("PATCH", "/mlflow/issues/{issue_id}", V3, RES_ISSUE, ID_PATH, "issue_id", LEVEL_EDIT, "UpdateIssue"),
	/* label schemas (review questions, 3.x): read with READ, changed with MANAGE */
	R("POST", "/mlflow/label-schemas/create", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_MANAGE, "CreateLabelSchema"),
	R("POST", "/mlflow/label-schemas/upsert", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_MANAGE, "UpsertLabelSchema"),
	R("GET", "/mlflow/label-schemas/get", V3, RES_LABEL_SCHEMA, ID_PARAMS, "schema_id", LEVEL_READ, "GetLabelSchema"),
	R("GET", "/mlflow/label-schemas/get-by-name", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "GetLabelSchemaByName"),
	R("GET", "/mlflow/label-schemas/list", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "ListLabelSchemas"),
	R("PATCH", "/mlflow/label-schemas/update", V3, RES_LABEL_SCHEMA, ID_PARAMS, "schema_id", LEVEL_MANAGE, "UpdateLabelSchema"),
	R("DELETE", "/mlflow/label-schemas/delete", V3, RES_LABEL_SCHEMA, ID_PARAMS, "schema_id", LEVEL_MANAGE, "DeleteLabelSchema"),
	/* review queues (3.x), by their experiment: READ views, EDIT creates,
	 * routes and reviews work, MANAGE reshapes, prunes and deletes (mlgate
	 * keeps no queue ownership or membership: docs/authorization.md) */
	R("POST", "/mlflow/review-queues/create", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "CreateReviewQueue"),
	R("POST", "/mlflow/review-queues/get-or-create-user", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "GetOrCreateUserQueue"),
	R("GET", "/mlflow/review-queues/get", V3, RES_REVIEW_QUEUE, ID_PARAMS, "queue_id", LEVEL_READ, "GetReviewQueue"),
	R("GET", "/mlflow/review-queues/get-by-name", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "GetReviewQueueByName"),
	R("GET", "/mlflow/review-queues/list", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "ListReviewQueues"),
	R("POST", "/mlflow/review-queues/update", V3, RES_REVIEW_QUEUE, ID_PARAMS, "queue_id", LEVEL_MANAGE, "UpdateReviewQueue"),
	R("POST", "/mlflow/review-queues/delete", V3, RES_REVIEW_QUEUE, ID_PARAMS, "queue_id", LEVEL_MANAGE, "DeleteReviewQueue"),
	R("POST", "/mlflow/review-queues/items/add", V3, RES_REVIEW_QUEUE, ID_PARAMS, "queue_id", LEVEL_EDIT, "AddItemsToReviewQueue"),
	R("POST", "/mlflow/review-queues/items/remove", V3, RES_REVIEW_QUEUE, ID_PARAMS, "queue_id", LEVEL_MANAGE, "RemoveItemsFromReviewQueue"),
	R("GET", "/mlflow/review-queues/items/list", V3, RES_REVIEW_QUEUE, ID_PARAMS, "queue_id", LEVEL_READ, "ListReviewQueueItems"),
	R("POST", "/mlflow/review-queues/items/set-status", V3, RES_REVIEW_QUEUE, ID_PARAMS, "queue_id", LEVEL_EDIT, "SetReviewQueueItemStatus"),
	/* prompt optimization jobs (3.x): by experiment; creating one also needs
	 * EDIT on the source prompt and READ on the training dataset */
	RX("POST", "/mlflow/prompt-optimization/jobs", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "CreatePromptOptimizationJob", 0, prompt_job),
	R("POST", "/mlflow/prompt-optimization/jobs/search", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "SearchPromptOptimizationJobs"),
	R("GET", "/mlflow/prompt-optimization/jobs/search", V3, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_READ, "SearchPromptOptimizationJobs"),
	R("GET", "/mlflow/prompt-optimization/jobs/{job_id}", V3, RES_PROMPT_JOB, ID_PATH, "job_id", LEVEL_READ, "GetPromptOptimizationJob"),
	R("DELETE", "/mlflow/prompt-optimization/jobs/{job_id}", V3, RES_PROMPT_JOB, ID_PATH, "job_id", LEVEL_MANAGE, "DeletePromptOptimizationJob"),
	R("POST", "/mlflow/prompt-optimization/jobs/{job_id}/cancel", V3, RES_PROMPT_JOB, ID_PATH, "job_id", LEVEL_EDIT, "CancelPromptOptimizationJob"),
	/* logged models */
	R("POST", "/mlflow/logged-models", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "CreateLoggedModel"),
	R("GET", "/mlflow/logged-models/{model_id}", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_READ, "GetLoggedModel"),
	R("PATCH", "/mlflow/logged-models/{model_id}", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_EDIT, "FinalizeLoggedModel"),
	R("DELETE", "/mlflow/logged-models/{model_id}", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_MANAGE, "DeleteLoggedModel"),
	R("POST", "/mlflow/logged-models/search", V2, RES_NONE, ID_PARAMS, NULL, LEVEL_READ, "SearchLoggedModels"),
	R("PATCH", "/mlflow/logged-models/{model_id}/tags", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_EDIT, "SetLoggedModelTags"),
	R("DELETE", "/mlflow/logged-models/{model_id}/tags/{tag_key}", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_MANAGE, "DeleteLoggedModelTag"),
	R("GET", "/mlflow/logged-models/{model_id}/artifacts/directories", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_READ, "ListLoggedModelArtifacts"),
	R("POST", "/mlflow/logged-models/{model_id}/params", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_EDIT, "LogLoggedModelParams"),
	R("GET", "/mlflow/logged-models/{model_id}/artifacts/files", V2, RES_LOGGED_MODEL, ID_PATH, "model_id", LEVEL_READ, "GetLoggedModelArtifact"),
	/* the UI's prompt lab (a hand-registered ajax route) */
	R("POST", "/mlflow/runs/create-promptlab-run", V2, RES_EXPERIMENT, ID_PARAMS, "experiment_id", LEVEL_EDIT, "CreatePromptlabRun"),
	/* model registry */
	R("POST", "/mlflow/registered-models/create", V2, RES_NONE, ID_PARAMS, NULL, LEVEL_READ, "CreateRegisteredModel"),
	R("POST", "/mlflow/registered-models/rename", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "RenameRegisteredModel"),
	R("PATCH", "/mlflow/registered-models/update", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "UpdateRegisteredModel"),
	R("DELETE", "/mlflow/registered-models/delete", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_MANAGE, "DeleteRegisteredModel"),
	R("GET", "/mlflow/registered-models/get", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_READ, "GetRegisteredModel"),
	R("GET", "/mlflow/registered-models/search", V2, RES_NONE, ID_PARAMS, NULL, LEVEL_READ, "SearchRegisteredModels"),
	R("POST", "/mlflow/registered-models/get-latest-versions", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_READ, "GetLatestVersions"),
	R("GET", "/mlflow/registered-models/get-latest-versions", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_READ, "GetLatestVersions"),
	R("POST", "/mlflow/model-versions/create", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "CreateModelVersion"),
	R("PATCH", "/mlflow/model-versions/update", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "UpdateModelVersion"),
	R("POST", "/mlflow/model-versions/transition-stage", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "TransitionModelVersionStage"),
	R("DELETE", "/mlflow/model-versions/delete", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_MANAGE, "DeleteModelVersion"),
	R("GET", "/mlflow/model-versions/get", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_READ, "GetModelVersion"),
	R("GET", "/mlflow/model-versions/search", V2, RES_NONE, ID_PARAMS, NULL, LEVEL_READ, "SearchModelVersions"),
	R("GET", "/mlflow/model-versions/get-download-uri", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_READ, "GetModelVersionDownloadUri"),
	R("POST", "/mlflow/registered-models/set-tag", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "SetRegisteredModelTag"),
	R("POST", "/mlflow/model-versions/set-tag", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "SetModelVersionTag"),
	R("DELETE", "/mlflow/registered-models/delete-tag", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "DeleteRegisteredModelTag"),
	R("DELETE", "/mlflow/model-versions/delete-tag", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_MANAGE, "DeleteModelVersionTag"),
	R("POST", "/mlflow/registered-models/alias", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_EDIT, "SetRegisteredModelAlias"),
	R("DELETE", "/mlflow/registered-models/alias", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_MANAGE, "DeleteRegisteredModelAlias"),
	R("GET", "/mlflow/registered-models/alias", V2, RES_MODEL, ID_PARAMS, "name", LEVEL_READ, "GetModelVersionByAlias"),
	/* artifact proxy (mlflow-artifacts): the experiment is the first path segment */
	R("GET", "/mlflow-artifacts/artifacts/", V2, RES_ARTIFACT, ID_PATH, NULL, LEVEL_READ, "DownloadArtifact"),
	R("PUT", "/mlflow-artifacts/artifacts/", V2, RES_ARTIFACT, ID_PATH, NULL, LEVEL_EDIT, "UploadArtifact"),
	R("DELETE", "/mlflow-artifacts/artifacts/", V2, RES_ARTIFACT, ID_PATH, NULL, LEVEL_MANAGE, "DeleteArtifact"),
	R("POST", "/mlflow-artifacts/mpu/create/", V2, RES_ARTIFACT, ID_PATH, NULL, LEVEL_EDIT, "CreateMultipartUpload"),
	R("POST", "/mlflow-artifacts/mpu/complete/", V2, RES_ARTIFACT, ID_PATH, NULL, LEVEL_EDIT, "CompleteMultipartUpload"),
	R("POST", "/mlflow-artifacts/mpu/abort/", V2, RES_ARTIFACT, ID_PATH, NULL, LEVEL_EDIT, "AbortMultipartUpload"),
	R("GET", "/mlflow-artifacts/presigned/", V2, RES_ARTIFACT, ID_PATH, NULL, LEVEL_READ, "GetPresignedDownloadUrl"),
	R("GET", "/mlflow-artifacts/artifacts", V2, RES_ARTIFACT, ID_QUERY, "path", LEVEL_READ, "ListArtifacts"),
	/* hand-registered Flask routes, outside /api (versions 0) */
	R("GET", "/get-artifact", 0, RES_RUN, ID_QUERY, "run_id", LEVEL_READ, "GetArtifact"),
	R("GET", "/model-versions/get-artifact", 0, RES_MODEL, ID_QUERY, "name", LEVEL_READ, "GetModelVersionArtifact"),
	/* OpenTelemetry trace ingest (FastAPI route): the experiment is named by a header */
	R("POST", "/v1/traces", 0, RES_EXPERIMENT, ID_HEADER, "x-mlflow-experiment-id", LEVEL_EDIT, "OtelIngestTraces"),
	/* the UI: any authenticated user (what it shows comes through the API) */
	R("GET", "/", 0, RES_NONE, ID_PATH, NULL, LEVEL_READ, "UserInterface"),
	R("GET", "/static-files/", 0, RES_NONE, ID_PATH, NULL, LEVEL_READ, "UserInterface"),
	R("GET", "/favicon.ico", 0, RES_NONE, ID_PATH, NULL, LEVEL_READ, "UserInterface"),
	R("GET", "/version", 0, RES_NONE, ID_PATH, NULL, LEVEL_READ, "GetVersion"),
	R("GET", "/health", 0, RES_NONE, ID_PATH, NULL, LEVEL_READ, "Health"),
	R("GET", "/mlflow/server-info", V3, RES_NONE, ID_PATH, NULL, LEVEL_READ, "GetServerInfo"),
	/* served by mlgate from the identity store (src/http/admin_api.c): MLflow's
	 * auth REST API (mlflow-api.md §2.6) and mlgate's own */
	R("POST", "/mlflow/users/create", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthCreateUser"),
	R("GET", "/mlflow/users/get", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthGetUser"),
	R("PATCH", "/mlflow/users/update-password", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthUpdateUserPassword"),
	R("PATCH", "/mlflow/users/update-admin", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthUpdateUserAdmin"),
	R("DELETE", "/mlflow/users/delete", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthDeleteUser"),
	R("GET", "/mlflow/users/list", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthListUsers"),
	R("POST", "/mlflow/experiments/permissions/create", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthCreateExperimentPermission"),
	R("GET", "/mlflow/experiments/permissions/get", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthGetExperimentPermission"),
	R("PATCH", "/mlflow/experiments/permissions/update", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthUpdateExperimentPermission"),
	R("DELETE", "/mlflow/experiments/permissions/delete", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthDeleteExperimentPermission"),
	R("POST", "/mlflow/registered-models/permissions/create", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthCreateRegisteredModelPermission"),
	R("GET", "/mlflow/registered-models/permissions/get", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthGetRegisteredModelPermission"),
	R("PATCH", "/mlflow/registered-models/permissions/update", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthUpdateRegisteredModelPermission"),
	R("DELETE", "/mlflow/registered-models/permissions/delete", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "AuthDeleteRegisteredModelPermission"),
	R("GET", "/mlgate/whoami", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateWhoAmI"),
	R("GET", "/mlgate/groups/list", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateListGroups"),
	R("POST", "/mlgate/groups/create", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateCreateGroup"),
	R("DELETE", "/mlgate/groups/delete", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateDeleteGroup"),
	R("POST", "/mlgate/groups/members/add", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateAddGroupMember"),
	R("DELETE", "/mlgate/groups/members/remove", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateRemoveGroupMember"),
	R("GET", "/mlgate/grants/list", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateListGrants"),
	R("POST", "/mlgate/grants/set", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateSetGrant"),
	R("DELETE", "/mlgate/grants/revoke", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateRevokeGrant"),
	R("POST", "/mlgate/tokens/create", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateCreateToken"),
	R("GET", "/mlgate/tokens/list", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateListTokens"),
	R("DELETE", "/mlgate/tokens/revoke", V2, RES_LOCAL, ID_PARAMS, NULL, LEVEL_READ, "MlgateRevokeToken"),
	/* GraphQL (the UI's run page): the operations it sends, by their arguments */
	R("POST", "/graphql", 0, RES_GRAPHQL, ID_PARAMS, NULL, LEVEL_READ, "GraphQL"),
	R("GET", "/graphql", 0, RES_ADMIN, ID_PARAMS, NULL, LEVEL_MANAGE, "GraphQL"),
	/* administration families (mlflow-api.md §1.3, §1.6): the AI gateway's secrets,
	 * endpoints, model definitions, budgets and guardrails; workspaces; jobs */
	R("GET", "/mlflow/gateway/", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "GatewayAdministration"),
	R("POST", "/mlflow/gateway/", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "GatewayAdministration"),
	R("PATCH", "/mlflow/gateway/", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "GatewayAdministration"),
	R("DELETE", "/mlflow/gateway/", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "GatewayAdministration"),
	R("GET", "/mlflow/workspaces", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "ListWorkspaces"),
	R("POST", "/mlflow/workspaces", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "CreateWorkspace"),
	R("GET", "/mlflow/workspaces/{workspace_name}", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "GetWorkspace"),
	R("PATCH", "/mlflow/workspaces/{workspace_name}", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "UpdateWorkspace"),
	R("DELETE", "/mlflow/workspaces/{workspace_name}", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "DeleteWorkspace"),
	R("GET", "/jobs/", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "Jobs"),
	R("POST", "/jobs", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "Jobs"),
	R("POST", "/jobs/", V3, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "Jobs"),
	/* webhooks: the server calls arbitrary URLs (SSRF surface): admin only */
	R("POST", "/mlflow/webhooks", V2, RES_ADMIN, ID_PARAMS, NULL, LEVEL_MANAGE, "CreateWebhook"),
	R("GET", "/mlflow/webhooks", V2, RES_ADMIN, ID_PARAMS, NULL, LEVEL_MANAGE, "ListWebhooks"),
	R("GET", "/mlflow/webhooks/{webhook_id}", V2, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "GetWebhook"),
	R("PATCH", "/mlflow/webhooks/{webhook_id}", V2, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "UpdateWebhook"),
	R("DELETE", "/mlflow/webhooks/{webhook_id}", V2, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "DeleteWebhook"),
	R("POST", "/mlflow/webhooks/{webhook_id}/test", V2, RES_ADMIN, ID_PATH, NULL, LEVEL_MANAGE, "TestWebhook"),
};

const char *mlflow_routes_resource_name(enum route_resource r)
{
	static const char *const names[RES_COUNT] = {
		[RES_NONE] = "none", [RES_EXPERIMENT] = "experiment", [RES_EXPERIMENT_NAME] = "experiment_name",
		[RES_EXPERIMENT_LIST] = "experiment_list", [RES_RUN] = "run", [RES_RUN_LIST] = "run_list",
		[RES_MODEL] = "model", [RES_LOGGED_MODEL] = "logged_model", [RES_TRACE] = "trace",
		[RES_TRACE_LIST] = "trace_list", [RES_ARTIFACT] = "artifact", [RES_ADMIN] = "admin",
		[RES_GRAPHQL] = "graphql", [RES_LOCAL] = "mlgate", [RES_DATASET] = "dataset", [RES_ISSUE] = "issue",
		[RES_LABEL_SCHEMA] = "label_schema", [RES_REVIEW_QUEUE] = "review_queue", [RES_PROMPT_JOB] = "prompt_job",
		[RES_PROMPT_URI] = "prompt_uri",
	};
	return r < RES_COUNT && names[r] ? names[r] : "unknown";
}

const char *mlflow_routes_resource_key(enum route_resource r)
{
	switch (r) {
	case RES_MODEL: case RES_PROMPT_URI: return "model";
	case RES_RUN: case RES_RUN_LIST: return "run";
	case RES_TRACE: case RES_TRACE_LIST: return "trace";
	case RES_LOGGED_MODEL: return "logged_model";
	case RES_EXPERIMENT_NAME: return "experiment_name";
	case RES_DATASET: return "dataset";
	case RES_ISSUE: return "issue";
	case RES_LABEL_SCHEMA: return "label_schema";
	case RES_REVIEW_QUEUE: return "review_queue";
	case RES_PROMPT_JOB: return "prompt_job";
	default: return "experiment";
	}
}

const struct mlflow_route *mlflow_routes_table(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}

/* Matches pattern (with {x} segments, or a trailing '/' meaning "this prefix
 * and a non-empty rest") against path; fills the param or the rest. */
static bool match_path(const char *pat, const char *path, size_t len, struct route_match *m)
{
	size_t pl = strlen(pat);
	if (pl > 1 && pat[pl - 1] == '/') {
		if (len <= pl || memcmp(path, pat, pl) != 0)
			return false;
		m->rest = path + pl;
		m->rest_len = len - pl;
		return true;
	}
	const char *p = pat, *s = path, *end = path + len;
	while (*p && s < end) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			const char *seg_end = memchr(s, '/', (size_t)(end - s));
			if (seg_end == NULL)
				seg_end = end;
			if (seg_end == s)
				return false;
			if (m->param == NULL) {
				m->param = s;
				m->param_len = (size_t)(seg_end - s);
			}
			p = close + 1;
			s = seg_end;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	return *p == '\0' && s == end;
}

static bool literal(const struct mlflow_route *r)
{
	return strchr(r->path, '{') == NULL;
}

/* Exact rows (no {param}, no trailing-'/' prefix) are found through a hash
 * of method and path; the few others are scanned. Built once. */
#define NROWS (sizeof table / sizeof table[0])
#define HSLOTS 1024
static int16_t exact_slot[HSLOTS];	/* row index + 1, 0: empty */
static bool scanned[NROWS];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static bool exact(const struct mlflow_route *r)
{
	size_t n = strlen(r->path);
	return literal(r) && (n == 1 || r->path[n - 1] != '/');
}

static unsigned hash_mp(const char *method, const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (; *method; method++)
		h = (h ^ (unsigned char)*method) * 16777619u;
	h = (h ^ ' ') * 16777619u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static void build_index(void)
{
	_Static_assert(NROWS < HSLOTS / 2, "route index too small");
	for (size_t i = 0; i < NROWS; i++) {
		if (!exact(&table[i])) {
			scanned[i] = true;
			continue;
		}
		unsigned h = hash_mp(table[i].method, table[i].path, strlen(table[i].path)) % HSLOTS;
		while (exact_slot[h])
			h = (h + 1) % HSLOTS;
		exact_slot[h] = (int16_t)(i + 1);
	}
}

int mlflow_routes_match(const char *method, const char *path, size_t len, struct route_match *m)
{
	memset(m, 0, sizeof *m);
	const char *meth = strcmp(method, "HEAD") == 0 ? "GET" : method;
	const char *p = path;
	size_t n = len;
	unsigned want;
	bool malformed = false;
	if (n >= 9 && memcmp(p, "/ajax-api", 9) == 0) {
		m->ajax = true;
		p += 9;
		n -= 9;
	} else if (n >= 4 && memcmp(p, "/api", 4) == 0) {
		p += 4;
		n -= 4;
	} else {
		p = NULL;	/* a hand-registered route, or nothing */
	}
	if (p != NULL) {
		if (n < 4 || p[0] != '/' || (p[1] != '2' && p[1] != '3') || p[2] != '.' || p[3] != '0')
			return -ENOENT;
		m->version = p[1] - '0';
		p += 4;
		n -= 4;
		want = 1u << m->version;
		/* MLflow registers "/api/2.0mlflow/experiments/search-datasets" (a proto
		 * path without its leading slash): read it as the slashed form. */
		malformed = n > 0 && p[0] != '/';
	} else {
		p = path;
		n = len;
		want = 0;
	}
	if (!malformed) {
		/* exact rows first, so ".../traces/get" never matches ".../traces/{id}" */
		pthread_once(&index_once, build_index);
		for (unsigned h = hash_mp(meth, p, n) % HSLOTS; exact_slot[h]; h = (h + 1) % HSLOTS) {
			const struct mlflow_route *r = &table[exact_slot[h] - 1];
			if (strcmp(r->method, meth) != 0 || strlen(r->path) != n || memcmp(r->path, p, n) != 0)
				continue;
			if (want ? !(r->versions & want) : r->versions != 0)
				continue;
			m->route = r;
			return 0;
		}
	}
	/* then prefix rows, then {param} rows */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < NROWS; i++) {
			const struct mlflow_route *r = &table[i];
			if ((!malformed && !scanned[i]) || literal(r) != (pass == 0) || strcmp(r->method, meth) != 0)
				continue;
			if (want ? !(r->versions & want) : r->versions != 0)
				continue;
			m->param = NULL;
			m->rest = NULL;
			if (malformed) {
				if (strcmp(r->path, "/mlflow/experiments/search-datasets") == 0 && n + 1 == strlen(r->path) &&
				    memcmp(p, r->path + 1, n) == 0) {
					m->route = r;
					return 0;
				}
				continue;
			}
			if (match_path(r->path, p, n, m)) {
				m->route = r;
				return 0;
			}
		}
	}
	memset(m, 0, sizeof *m);
	return -ENOENT;
}

static const char *const family_names[FAM_COUNT] = {
	[FAM_API_READ] = "api_read",
	[FAM_API_WRITE] = "api_write",
	[FAM_SEARCH] = "search",
	[FAM_GRAPHQL] = "graphql",
	[FAM_ARTIFACT_READ] = "artifact_read",
	[FAM_ARTIFACT_WRITE] = "artifact_write",
	[FAM_ADMIN] = "admin",
	[FAM_API_OTHER] = "api_other",
	[FAM_UI] = "ui",
	[FAM_HEALTH] = "health",
};

const char *mlflow_routes_family_name(enum route_family f)
{
	return f < FAM_COUNT ? family_names[f] : "unknown";
}

enum route_family mlflow_routes_family_parse(const char *name)
{
	for (int f = 0; f < FAM_COUNT; f++)
		if (strcmp(family_names[f], name) == 0)
			return (enum route_family)f;
	return FAM_COUNT;
}

enum route_family mlflow_routes_family_of(const struct route_match *m, const char *method, const char *path,
					 size_t len)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	if (m != NULL) {
		const struct mlflow_route *r = m->route;
		if (r->resource == RES_GRAPHQL || strcmp(r->path, "/graphql") == 0)
			return FAM_GRAPHQL;
		if (r->resource == RES_LOCAL)
			return FAM_ADMIN;
		if (r->resource == RES_ARTIFACT || strstr(r->path, "artifact") != NULL)
			return get ? FAM_ARTIFACT_READ : FAM_ARTIFACT_WRITE;
		if (r->versions == 0 && r->resource == RES_NONE) {
			if (strcmp(r->path, "/health") == 0)
				return FAM_HEALTH;
			if (strcmp(r->path, "/version") == 0)
				return FAM_API_READ;
			return FAM_UI;	/* hand-registered pages and static files */
		}
		if (strstr(r->path, "search") != NULL || strstr(r->path, "/list") != NULL)
			return FAM_SEARCH;
		return get ? FAM_API_READ : FAM_API_WRITE;
	}
	if ((len == 7 && memcmp(path, "/health", 7) == 0) || (len == 9 && memcmp(path, "/-/health", 9) == 0))
		return FAM_HEALTH;
	if ((len >= 5 && memcmp(path, "/api/", 5) == 0) || (len >= 10 && memcmp(path, "/ajax-api/", 10) == 0) ||
	    (len >= 8 && memcmp(path, "/graphql", 8) == 0))
		return FAM_API_OTHER;
	return FAM_UI;
}

enum route_family mlflow_routes_family(const char *method, const char *path, size_t len)
{
	struct route_match m;
	bool found = mlflow_routes_match(method, path, len, &m) == 0;
	return mlflow_routes_family_of(found ? &m : NULL, method, path, len);
}
