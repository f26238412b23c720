from .cli import main_auto

main_auto()
