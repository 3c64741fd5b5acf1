-- sockcheck.lua - Wireshark/tshark plugin for sockcheck's capture.pcapng.
--
-- The lab writes what it did to a frame as that frame's comment, ending in
-- machine-readable tokens such as "[fate=drop rule=1]".  This post-dissector
-- turns each token into filterable fields:
--   sockcheck.fate   "drop", "delay", "duplicate" or "reorder"
--   sockcheck.rule   the lab rule (1-based) that decided it
-- so `sockcheck.fate == "drop" && sockcheck.rule == 1` shows what rule 1
-- dropped.  Use:  wireshark -X lua_script:tools/wireshark/sockcheck.lua FILE
-- (or copy it to ~/.local/lib/wireshark/plugins/).
local proto = Proto("sockcheck", "sockcheck lab fate")
local f_fate = ProtoField.string("sockcheck.fate", "Fate")
local f_rule = ProtoField.uint32("sockcheck.rule", "Rule")
proto.fields = { f_fate, f_rule }

local comment_field = Field.new("frame.comment")

function proto.dissector(tvb, pinfo, tree)
	local comments = { comment_field() }
	local subtree = nil
	for _, c in ipairs(comments) do
		local text = tostring(c.value)
		for fate, rule in string.gmatch(text, "%[fate=(%a+) rule=(%d+)%]") do
			if subtree == nil then
				subtree = tree:add(proto, "sockcheck: what the lab did")
			end
			local item = subtree:add(f_fate, fate)
			item:append_text(" (rule " .. rule .. ")")
			subtree:add(f_rule, tonumber(rule))
		end
	end
end

register_postdissector(proto)
