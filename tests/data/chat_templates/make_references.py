# Writes the expected prompts, each spelled out by hand from its template's logic (see README.md);
# Python's json.dumps (what transformers' tojson calls) prints the JSON parts.
import json
conv = json.load(open("weather_conversation.json"))
tool = conv["tools"][0]
fn = tool["function"]
params = fn["parameters"]
args = conv["messages"][2]["tool_calls"][0]["function"]["arguments"]
T = json.dumps(tool)
P = json.dumps(params)
A = json.dumps(args)
sysmsg = "You are a bot that responds to weather queries."
user = "Hey, what's the temperature in Paris right now?"

qwen = ("<|im_start|>system\n" + sysmsg +
        "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
        "\n" + T +
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
        "</tool_call><|im_end|>\n"
        # the leading system message is consumed above (loop.first); user; assistant + its call
        "<|im_start|>user\n" + user + "<|im_end|>\n"
        "<|im_start|>assistant"
        "\n<tool_call>\n{\"name\": \"get_current_temperature\", \"arguments\": " + A + "}\n</tool_call><|im_end|>\n"
        # the tool turn follows a non-tool one, so it opens a user turn; it is the last message
        "<|im_start|>user\n<tool_response>\n22.0\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\n")

hermes = ("<|begin_of_text|><|im_start|>system\n"
          "You are a function calling AI model. You are provided with function signatures within <tools></tools> "
          "XML tags. You may call one or more functions to assist with the user query. Don't make assumptions about "
          "what values to plug into functions. Here are the available tools: <tools> "
          '{"type": "function", "function": {"name": "get_current_temperature", '
          '"description": "get_current_temperature(location: str, unit: str) - '
          "Get the current temperature at a location.\n\n"
          "    Args:\n"
          # the template joins the argument lines with no newline between them
          '        location(str): The location to get the temperature for, in the format "City, Country"'
          "        unit(str): The unit to return the temperature in."
          '", "parameters": ' + P + "}"
          " </tools>"
          'Use the following pydantic model json schema for each tool call you will make: {"properties": {"name": '
          '{"title": "Name", "type": "string"}, "arguments": {"title": "Arguments", "type": "object"}}, "required": '
          '["name", "arguments"], "title": "FunctionCall", "type": "object"}}\n'
          "For each function call return a json object with function name and arguments within "
          "<tool_call></tool_call> XML tags as follows:\n<tool_call>\n"
          '{"name": <function-name>, "arguments": <args-dict>}\n</tool_call><|im_end|>\n'
          "<|im_start|>system\n" + sysmsg + "<|im_end|>\n"
          "<|im_start|>user\n" + user + "<|im_end|>\n"
          "<|im_start|>assistant\n<tool_call>\n"
          '{"name": "get_current_temperature", "arguments": ' + A + "}\n</tool_call><|im_end|>\n"
          # previtem is the assistant's turn: a tool turn opens; the last message ends it without "\n"
          "<|im_start|>tool\n<tool_response>\n22.0\n</tool_response><|im_end|>"
          "<|im_start|>assistant\n")

llama = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
         "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" + sysmsg +
         "<|eot_id|>"
         # tools_in_user_message defaults to true: they open the first user turn, indent=4
         "<|start_header_id|>user<|end_header_id|>\n\n"
         "Given the following functions, please respond with a JSON for a function call "
         "with its proper arguments that best answers the given prompt.\n\n"
         'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.'
         "Do not use variables.\n\n" + json.dumps(tool, indent=4) + "\n\n" + user + "<|eot_id|>"
         "<|start_header_id|>assistant<|end_header_id|>\n\n"
         '{"name": "get_current_temperature", "parameters": ' + A + "}<|eot_id|>"
         # a str is iterable in Jinja, so the tool's string content goes through tojson (quoted)
         "<|start_header_id|>ipython<|end_header_id|>\n\n" + json.dumps("22.0") + "<|eot_id|>"
         "<|start_header_id|>assistant<|end_header_id|>\n\n")

out = json.dumps(conv["messages"][2]["tool_calls"][0]["function"])[:-1]  # tool_call.function|tojson, minus "}"
mistral = ("<s>[AVAILABLE_TOOLS] ["
           '{"type": "function", "function": {'
           '"name": "get_current_temperature", "description": "Get the current temperature at a location.", '
           '"parameters": ' + P + "}}"
           "][/AVAILABLE_TOOLS]"
           "[INST] " + sysmsg + "\n\n" + user + "[/INST]"
           "[TOOL_CALLS] [" + out + ', "id": "call12345"}' + "]</s>"
           '[TOOL_RESULTS] {"content": 22.0, "call_id": "call12345"}[/TOOL_RESULTS]')

for name, text in [("qwen2.5-instruct", qwen), ("hermes-3-tool-use", hermes), ("llama3.1", llama), ("mistral-v0.3", mistral)]:
    open(name + ".expected.txt", "w").write(text)
