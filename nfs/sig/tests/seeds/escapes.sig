a "|7c|"
b |22|quoted|22| nocase
