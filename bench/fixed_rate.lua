-- Paces each wrk connection: one request every 2 ms (32 connections ~ 16,000
-- req/s), so latency is compared at the same load instead of at saturation.
function delay()
  return 2
end
