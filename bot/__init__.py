"""ClotCare: a Telegram bot for people living with, or worried about, a blood clot."""
