// One factory per tool, each in its own file; tool_table.cpp lists them.
#pragma once
#include "tasks/agent/tool.h"

namespace argus::tasks::agent {

Tool load_image_tool();  // a file under the image root, or base64 bytes -> image id
Tool classify_tool();    // CLIP zero-shot labels
Tool detect_tool();      // open-vocabulary boxes, counts per label, overlay
Tool segment_tool();     // SAM from a point or a box -> mask id, area, bbox
Tool ground_tool();      // phrases -> boxes + SAM masks, overlay
Tool refseg_tool();      // CLIPSeg from a phrase -> mask id
Tool crop_tool();        // a box -> crop id
Tool caption_tool();     // the VLM describes an image
Tool ask_tool();         // the VLM answers a question about an image
Tool search_tool();      // an image index by text or by an image
Tool ocr_tool();         // Tesseract reads the text

}  // namespace argus::tasks::agent
