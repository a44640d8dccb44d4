-- wrk script: GET the 1x1 tracking pixel, as the seed articles' nginx empty_gif setup serves it.
wrk.method = "GET"
wrk.path = "/p.gif?k=bench&e=pageview&u=https%3A%2F%2Fshop.example%2Fpricing&r=https%3A%2F%2Fsearch.example%2F"
