-- wrk script: 16 requests per write (pipelining depth 16) to the URL's path.
init = function(args)
  local r = {}
  for i = 1, 16 do r[i] = wrk.format("GET", wrk.path) end
  req = table.concat(r)
end
request = function() return req end
