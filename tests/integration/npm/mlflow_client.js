// Drives the npm `mlflow` client (a real MLflow REST client) against the
// gateway: argv[2] = endpoint, argv[3] = "user:password" or "" for none,
// argv[4] = a whole Authorization value (e.g. "Bearer mlg_..."), optional.
// Creates an experiment, reads one back, creates a run and logs a metric.
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
    const created = await client.Experiments.create({ name: 'npm-client-exp' });
    const got = await client.Experiments.get({ experiment_id: '1' });
    const run = await client.Runs.create({ experiment_id: '1' });
    const metric = await client.Runs.logMetric({ run_id: 'r1', key: 'auc', value: 0.9, timestamp: 1 });
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
