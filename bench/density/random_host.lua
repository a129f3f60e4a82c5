-- wrk: each request goes to a random app of the density bench's N apps
-- (Host: app<i>.<domain>), on the path that app's kind answers.
-- Usage: wrk ... -s random_host.lua URL -- N DOMAIN KIND
-- KIND (run.py's): mix (even apps components, odd WAGI), component or wagi.
local n, domain, kind = 1000, "apps.test", "mix"

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  n = tonumber(args[1]) or n
  domain = args[2] or domain
  kind = args[3] or kind
  math.randomseed(seed or 1)
end

function request()
  local i = math.random(0, n - 1)
  -- wasi:http components answer /k ("Hello, whirl"), WAGI probes /probe/status/200.
  local component = kind == "component" or (kind == "mix" and i % 2 == 0)
  local path = component and "/k" or "/probe/status/200"
  return wrk.format("GET", path, { Host = "app" .. i .. "." .. domain })
end
