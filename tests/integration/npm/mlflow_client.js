// Drives the npm `mlflow` client (a real MLflow REST client) against the
// gateway: argv[2] = endpoint, argv[3] = "user:password" or "" for none,
// argv[4] = a whole Authorization value (e.g. "Bearer mlg_..."), optional.
// Creates an experiment, reads it back, creates a run in it and logs a metric
// to that run (each step uses the ids MLflow returned).
// Prints one JSON line with what happened.
const MLflow = require('mlflow');

(async () => {
  const endpoint = process.argv[2];
  const cred = process.argv[3] || '';
  const raw = process.argv[4] || '';
  const headers = raw ? { Authorization: raw }
    : cred ? { Authorization: 'Basic ' + Buffer.from(cred).toString('base64') } : {};
  const client = new MLflow({ endpoint, headers });
  const origLog = console.log;
  console.log = () => {};  // the client prints request bodies
  try {
    const created = await client.Experiments.create({ name: 'npm-client-exp-' + process.pid });
    const eid = created.experiment_id;
    const got = await client.Experiments.get({ experiment_id: eid });
    const run = await client.Runs.create({ experiment_id: eid, start_time: 1 });
    const rid = run.run.info.run_id;
    const metric = await client.Runs.logMetric({ run_id: rid, key: 'auc', value: 0.9, timestamp: 1 });
    console.log = origLog;
    console.log(JSON.stringify({ ok: true, created, got, run, metric }));
  } catch (e) {
    console.log = origLog;
    let status = null;
    let data = null;
    try {
      const parsed = JSON.parse(String(e.message).replace(/^Error: /, ''));
      status = parsed.status;
      data = parsed.data;
    } catch (_) {}
    console.log(JSON.stringify({ ok: false, status, data, message: String(e.message) }));
  }
})();
