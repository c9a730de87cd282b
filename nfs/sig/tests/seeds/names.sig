x.y:z-1 "GET /|2e 2e|/"
