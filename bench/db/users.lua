-- wrk: GET /users/ID with a random id in 1..10000 (the bench's rows).
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/users/" .. math.random(1, 10000))
end
