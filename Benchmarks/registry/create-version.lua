-- Version creates spread over all 10,000 models; each commits the version and its event.
math.randomseed(7)
wrk.method = "POST"
wrk.body = '{"source":"s3://bench/new/model","metrics":{"auc":0.91},"tags":{"framework":"xgboost"}}'
request = function()
    return wrk.format(nil, string.format("/v1/models/model-%05d/versions", math.random(1, 10000)))
end
