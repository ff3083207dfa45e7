// Fixed code prompts (plain and fill-in-the-middle, several languages) for the tiny-model tests
// and the strategy sweep.
#pragma once

#include <string>
#include <vector>

namespace stride::testing {

struct CodePrompt {
  const char* name;
  std::string prefix;
  std::string suffix;  // used when fim
  bool fim = false;
};

inline const std::vector<CodePrompt>& code_prompts() {
  static const std::vector<CodePrompt> prompts = {
      {"py_fib", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    if n < 2:\n", ""},
      {"py_class", "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n\n    def __add__(self, other):\n", ""},
      {"py_loop", "import os\n\nfor name in os.listdir('.'):\n    if name.endswith('.py'):\n        print(name)\n    elif name.endswith('.txt'):\n", ""},
      {"py_dict", "counts = {}\nfor word in words:\n    if word in counts:\n        counts[word] += 1\n    else:\n", ""},
      {"py_test", "import unittest\n\nclass TestMath(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n\n    def test_sub(self):\n", ""},
      {"c_main", "#include <stdio.h>\n\nint main(int argc, char **argv) {\n    for (int i = 0; i < argc; i++) {\n", ""},
      {"c_struct", "struct node {\n    int value;\n    struct node *next;\n};\n\nstruct node *push(struct node *head, int value) {\n", ""},
      {"cpp_vector", "#include <vector>\n#include <iostream>\n\nint sum(const std::vector<int>& v) {\n    int total = 0;\n    for (int x : v) {\n", ""},
      {"cpp_class", "class Stack {\n public:\n  void push(int x) { data_.push_back(x); }\n  int pop() {\n", ""},
      {"js_fetch", "async function getUser(id) {\n  const response = await fetch(`/api/users/${id}`);\n  if (!response.ok) {\n", ""},
      {"js_array", "const numbers = [1, 2, 3, 4, 5];\nconst doubled = numbers.map((n) => n * 2);\nconst evens = numbers.filter(", ""},
      {"ts_interface", "interface User {\n  id: number;\n  name: string;\n  email: string;\n}\n\nfunction greet(user: User): string {\n", ""},
      {"rust_fn", "fn main() {\n    let v = vec![1, 2, 3];\n    for x in v.iter() {\n", ""},
      {"rust_struct", "#[derive(Debug)]\nstruct Rectangle {\n    width: u32,\n    height: u32,\n}\n\nimpl Rectangle {\n    fn area(&self) -> u32 {\n", ""},
      {"go_http", "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\nfunc handler(w http.ResponseWriter, r *http.Request) {\n", ""},
      {"go_err", "func readConfig(path string) (*Config, error) {\n\tdata, err := os.ReadFile(path)\n\tif err != nil {\n", ""},
      {"sql_select", "SELECT users.id, users.name, COUNT(orders.id) AS order_count\nFROM users\nLEFT JOIN orders ON", ""},
      {"sql_create", "CREATE TABLE products (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n", ""},
      {"java_main", "public class Hello {\n    public static void main(String[] args) {\n", ""},
      {"sh_loop", "#!/bin/bash\nfor f in *.log; do\n", ""},
      {"fim_py_body", "def is_prime(n):\n    if n < 2:\n        return False\n", "    return True\n", true},
      {"fim_py_args", "def area(width, height):\n    return ", "\n\nprint(area(3, 4))\n", true},
      {"fim_c_loop", "int sum(int *a, int n) {\n    int s = 0;\n", "    return s;\n}\n", true},
      {"fim_cpp_if", "int clamp(int x, int lo, int hi) {\n  if (x < lo) return lo;\n", "  return x;\n}\n", true},
      {"fim_js_obj", "const config = {\n  host: 'localhost',\n", "};\n\nexport default config;\n", true},
      {"fim_rust_match", "fn describe(n: i32) -> &'static str {\n    match n {\n        0 => \"zero\",\n", "    }\n}\n", true},
      {"fim_go_loop", "func sum(xs []int) int {\n\ttotal := 0\n", "\treturn total\n}\n", true},
      {"fim_sql_where", "SELECT name, price FROM products\nWHERE ", "\nORDER BY price DESC;\n", true},
      {"fim_java_getter", "public class Person {\n    private String name;\n    private int age;\n\n", "}\n", true},
      {"fim_py_import", "import json\n", "\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n", true},
      {"fim_ts_fn", "export function add(a: number, b: number): number {\n", "}\n", true},
      {"fim_html", "<ul>\n  <li>One</li>\n", "</ul>\n", true},
  };
  return prompts;
}

}  // namespace stride::testing
