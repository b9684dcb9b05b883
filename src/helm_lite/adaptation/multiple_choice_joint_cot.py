"""`multiple_choice_joint_chain_of_thought`: joint multiple choice whose in-context examples show
their reasoning before the answer (HELM Capabilities' GPQA and MMLU-Pro).

An example with its answer ends ``<output_prefix><cot_prefix><reasoning><cot_suffix><gold><output_suffix>``
where the reasoning is the instance's ``extra_data["chain_of_thought"]`` (empty if absent) and the gold
is the whole rendered option prefix (``(B) `` for ``reference_prefix="(A) "``), as HELM writes it. The
eval instance and its request are exactly those of `multiple_choice_joint`.
"""

from __future__ import annotations

from helm_lite.adaptation.multiple_choice_joint import MultipleChoiceJointAdapter
from helm_lite.scenarios.base import Instance


class MultipleChoiceJointChainOfThoughtAdapter(MultipleChoiceJointAdapter):
    def example_block(self, instance: Instance, include_output: bool) -> str:
        if not include_output:
            return super().example_block(instance, include_output=False)
        s = self.spec
        block = s.input_prefix + instance.input.text + s.input_suffix
        correct: list[str] = []
        for i, ref in enumerate(instance.references):
            block += self.rendered_prefix(i) + ref.output.text + s.reference_suffix
            if ref.is_correct:
                correct.append(self.rendered_prefix(i))
        gold = (", ".join(correct) if s.multi_label else correct[0]) if correct else "n/a"
        reasoning = str((instance.extra_data or {}).get("chain_of_thought", ""))
        thought = s.chain_of_thought_prefix + reasoning + s.chain_of_thought_suffix
        return block + s.output_prefix + thought + gold + s.output_suffix
