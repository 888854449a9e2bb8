-- POST /oauth/token, client credentials by HTTP Basic (BENCH_OAUTH_BASIC in the environment:
-- base64 of "<key prefix>:<API key>").
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_OAUTH_BASIC")
wrk.body = "grant_type=client_credentials"
