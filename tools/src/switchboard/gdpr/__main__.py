from switchboard.gdpr.cli import main

main()
