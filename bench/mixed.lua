-- A mixed MLflow workload (issue 3's authorisation benchmark): runs/get,
-- metrics/get-history, log-batch and experiments/search in turn, over 50
-- runs (run N belongs to experiment N at the bench upstream).
local i = 0
local json = nil
request = function()
  if json == nil then -- wrk.format takes these instead of wrk.headers: copy them (-H auth)
    json = { ["Content-Type"] = "application/json" }
    for k, v in pairs(wrk.headers) do json[k] = v end
  end
  i = i + 1
  local run = (i % 50) + 1
  local k = i % 4
  if k == 0 then
    return wrk.format("GET", "/api/2.0/mlflow/runs/get?run_id=" .. run)
  elseif k == 1 then
    return wrk.format("GET", "/api/2.0/mlflow/metrics/get-history?run_id=" .. run .. "&metric_key=loss")
  elseif k == 2 then
    return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch", json,
      '{"run_id":"' .. run .. '","metrics":[{"key":"loss","value":0.5,"timestamp":1,"step":' .. i .. '}]}')
  end
  return wrk.format("POST", "/api/2.0/mlflow/experiments/search", json, '{"max_results":10}')
end
