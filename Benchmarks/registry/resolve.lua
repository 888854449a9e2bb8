-- Alias resolves spread over 100 models (the first request per model fills the cache).
math.randomseed(42)
request = function()
    return wrk.format(nil, string.format("/v1/models/model-%05d/aliases/candidate", math.random(1, 100)))
end
