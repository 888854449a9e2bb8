-- POST /v1/tokens with the bench's API key (BENCH_API_KEY in the environment).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"api_key":"' .. os.getenv("BENCH_API_KEY") .. '"}'
