from sejuk.cli import main

main()
