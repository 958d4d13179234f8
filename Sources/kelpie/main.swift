print("kelpie: not wired yet")
