from sidenote_cli import main

main()
