print("kelpie-load: not wired yet")
