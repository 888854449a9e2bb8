-- MLflow's get-model-version-by-alias over 100 models, for either server.
math.randomseed(42)
request = function()
    return wrk.format(nil, string.format("/api/2.0/mlflow/registered-models/alias?name=model-%05d&alias=candidate", math.random(1, 100)))
end
