-- wrk script: POST the benchmark body and print one JSON line of results.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-partner-token"
wrk.body = '{"mode":3,"display_name":"Reward Cookies","partnership_id":49,"custom_attributes":{"actions":[{"mode":3,"amount":1000,"allows_editing":true}]}}'

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), errors, summary.errors.status))
end
