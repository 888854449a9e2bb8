-- Inclusion proofs of random entries of a log of BENCH_ENTRIES entries, against its current size.
math.randomseed(7)
local entries = tonumber(os.getenv("BENCH_ENTRIES") or "1000000")
request = function()
    return wrk.format(nil, string.format("/v1/audit/entries/%d/proof", math.random(0, entries - 1)))
end
