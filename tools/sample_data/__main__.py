from tools.sample_data.generate import main

main()
