from switchboard.servicekit.auth.cli import main

main()
