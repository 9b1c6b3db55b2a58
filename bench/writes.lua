-- A write-heavy MLflow workload (issue 4's audit benchmark): log-metric and
-- log-batch in turn over 50 runs; every request is a change the audit log
-- records (an intent before MLflow is asked, the outcome after).
local i = 0
local json = nil
request = function()
  if json == nil then -- wrk.format takes these instead of wrk.headers: copy them (-H auth)
    json = { ["Content-Type"] = "application/json" }
    for k, v in pairs(wrk.headers) do json[k] = v end
  end
  i = i + 1
  local run = (i % 50) + 1
  if i % 2 == 0 then
    return wrk.format("POST", "/api/2.0/mlflow/runs/log-metric", json,
      '{"run_id":"' .. run .. '","key":"loss","value":0.5,"timestamp":1,"step":' .. i .. '}')
  end
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch", json,
    '{"run_id":"' .. run .. '","metrics":[{"key":"loss","value":0.5,"timestamp":1,"step":' .. i .. '}]}')
end
